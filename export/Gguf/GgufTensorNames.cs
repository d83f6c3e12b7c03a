using Adapters.Core.Model;

namespace Adapters.Export.Gguf;

/// <summary>
/// llama.cpp's tensor names (LLM_TENSOR_NAMES in llama-arch.cpp; the same in "llama", "qwen2"
/// and "qwen3"): token_embd, blk.N.attn_norm / attn_q / attn_k / attn_v / attn_output /
/// attn_q_norm / attn_k_norm / ffn_norm / ffn_gate / ffn_up / ffn_down, output_norm, output;
/// each with ".weight", projections' biases with ".bias".
/// </summary>
public static class GgufTensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string FinalNorm = "output_norm.weight";
    public const string Classifier = "output.weight";

    public static string AttentionNorm(int layer) => $"blk.{layer}.attn_norm.weight";
    public static string FfnNorm(int layer) => $"blk.{layer}.ffn_norm.weight";

    /// <summary>The GGUF name of one of our projections (q_proj … down_proj) in a layer.</summary>
    public static string Projection(int layer, string projection) => $"blk.{layer}.{Short(projection)}.weight";

    /// <summary>A projection's bias: blk.N.attn_q.bias, … (llama.cpp's tn(LLM_TENSOR_ATTN_Q, "bias", i)).</summary>
    public static string Bias(int layer, string projection) => $"blk.{layer}.{Short(projection)}.bias";

    /// <summary>Qwen3's per-head q/k RMSNorm weights [head_dim].</summary>
    public static string QNorm(int layer) => $"blk.{layer}.attn_q_norm.weight";
    public static string KNorm(int layer) => $"blk.{layer}.attn_k_norm.weight";

    /// <summary>LoRA factor names of convert_lora_to_gguf.py: the base tensor's name + ".lora_a" / ".lora_b".</summary>
    public static string LoraA(int layer, string projection) => Projection(layer, projection) + ".lora_a";
    public static string LoraB(int layer, string projection) => Projection(layer, projection) + ".lora_b";

    static string Short(string projection) => projection switch
    {
        "q_proj" => "attn_q",
        "k_proj" => "attn_k",
        "v_proj" => "attn_v",
        "o_proj" => "attn_output",
        "gate_proj" => "ffn_gate",
        "up_proj" => "ffn_up",
        "down_proj" => "ffn_down",
        _ => throw new ArgumentException($"unknown projection '{projection}'; expected one of {string.Join(", ", LlamaTensorNames.Projections)}"),
    };
}
