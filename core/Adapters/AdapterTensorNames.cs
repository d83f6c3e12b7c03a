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

    /// <summary>GMT's ΔW [out, in] of one projection (often stored sparse, see <see cref="SparseTensorEncoding"/>).</summary>
    public static string WeightDelta(int layer, string projection) => $"{LlamaTensorNames.ProjectionModule(layer, projection)}.weight_delta";

    /// <summary>
    /// One tensor of a structured (SURM) or TARP adapter: "{module}.{method}.{tensor}", e.g.
    /// model.layers.0.self_attn.q_proj.circulant.c.
    /// </summary>
    public static string Of(int layer, string projection, string method, string tensor) =>
        $"{LlamaTensorNames.ProjectionModule(layer, projection)}.{method}.{tensor}";
}
