namespace Adapters.Core.Adapters;

/// <summary>Method names as they appear in manifests and on the command line.</summary>
public static class AdapterMethods
{
    public const string Lora = "lora";
    public const string LoReft = "loreft";
    public const string DiReft = "direft";

    /// <summary>Methods that edit the residual stream at prompt positions (no weight delta).</summary>
    public static bool IsReft(string method) => method is LoReft or DiReft;
}
