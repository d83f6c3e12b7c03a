namespace Adapters.Core.Adapters;

/// <summary>Method names as they appear in manifests and on the command line.</summary>
public static class AdapterMethods
{
    public const string Lora = "lora";
    public const string LoReft = "loreft";
    /// <summary>DiReFT h + W2ᵀ(W1h + b): pyreft's <c>NodireftIntervention</c> (not its <c>DireftIntervention</c>, which keeps an orthonormal R).</summary>
    public const string DiReft = "direft";

    /// <summary>Gradient-mask tuning: a (sparse) dense weight delta per target projection.</summary>
    public const string Gmt = "gmt";

    /// <summary>Structured deltas (SURM): ΔW is circulant, Toeplitz, a Kronecker product, or a low-displacement-rank sum.</summary>
    public const string Circulant = "circulant";
    public const string Toeplitz = "toeplitz";
    public const string Kronecker = "kronecker";
    public const string Ldr = "ldr";

    /// <summary>TARP: multiplicative low-rank scale of W plus a low-rank term with a per-token core; the static variant has a constant core.</summary>
    public const string Tarp = "tarp";
    public const string TarpStatic = "tarp-static";

    /// <summary>
    /// Every method, in the order help texts list them. A method is complete when it has a config
    /// and schema (<see cref="AdapterSchemas"/>), a training factory, a CLI mapping, and an export
    /// rule or a foldable delta — or a reason in <see cref="NotExportable"/>; a test checks each.
    /// </summary>
    public static readonly IReadOnlyList<string> All = [Lora, LoReft, DiReft, Gmt, Circulant, Toeplitz, Kronecker, Ldr, Tarp, TarpStatic];

    /// <summary>Methods that train and serve in TorchSharp but cannot be exported to ONNX, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotExportable = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Tarp] = "its r×r core depends on each token, so it is neither a fixed ΔW to fold nor LoRA/ReFT inputs (tarp-static exports)",
    };

    /// <summary>Methods that edit the residual stream at prompt positions (no weight delta).</summary>
    public static bool IsReft(string method) => method is LoReft or DiReft;

    /// <summary>The SURM structured kinds.</summary>
    public static bool IsStructured(string method) => method is Circulant or Toeplitz or Kronecker or Ldr;

    /// <summary>
    /// Methods whose effect is a fixed ΔW per projection, so an exporter can fold W + ΔW into
    /// the base weights (<see cref="WeightDeltas.AdapterWeightDelta"/>). TARP's per-token core
    /// and ReFT's position-dependent edits are not.
    /// </summary>
    public static bool IsFoldable(string method) => method is Lora or Gmt or TarpStatic || IsStructured(method);
}
