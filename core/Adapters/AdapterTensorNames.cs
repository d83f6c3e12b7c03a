using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>Tensor names inside an adapter's safetensors (PEFT-compatible for LoRA).</summary>
public static class AdapterTensorNames
{
    /// <summary>[r, in]</summary>
    public static string LoraA(int layer, string projection) => $"{LlamaTensorNames.ProjectionModule(layer, projection)}.lora_A.weight";
    /// <summary>[out, r]</summary>
    public static string LoraB(int layer, string projection) => $"{LlamaTensorNames.ProjectionModule(layer, projection)}.lora_B.weight";

    /// <summary>Prefix of one ReFT intervention: layer and position group (all | prefix | suffix).</summary>
    public static string Reft(int layer, string group) => $"{LlamaTensorNames.Layer(layer)}.reft.{group}";
}
