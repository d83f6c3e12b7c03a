using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.Export.Gguf;

/// <summary>
/// Which llama.cpp architecture (general.architecture) runs a model of ours, and how its tensors
/// must be laid out there. Llama and Mistral are llama.cpp's "llama" (Mistral has no architecture
/// of its own there, as convert_hf_to_gguf.py writes it): rotary on adjacent pairs
/// (LLAMA_ROPE_TYPE_NORM, our canonical layout), optional q/k/v/o biases, llama3 rope scaling as a
/// rope_freqs tensor. Qwen2 and Qwen3 are "qwen2" and "qwen3": rotary on the two halves of each
/// head (LLAMA_ROPE_TYPE_NEOX), so every row indexed by a rotated head dimension — q/k weights,
/// q/k biases, q_norm/k_norm — is written in Hugging Face's rotate-half order. What an
/// architecture cannot hold is refused, naming what llama.cpp would need.
/// </summary>
public sealed record GgufArchitecture(string Name, bool RotateHalf)
{
    /// <exception cref="ArgumentException">A feature of the model that llama.cpp's architecture for its family does not read.</exception>
    public static GgufArchitecture For(LlamaConfig c)
    {
        switch (c.Family)
        {
            case ModelFamilies.Llama or ModelFamilies.Mistral:
                if (c.QkNorm) throw Refuse(c, "q/k norm", "llama.cpp's \"llama\" architecture has no attn_q_norm/attn_k_norm (only \"qwen3\" does)");
                return new(GgufKeys.LlamaArchitecture, RotateHalf: false);
            case ModelFamilies.Qwen2:
                if (c.QkNorm) throw Refuse(c, "q/k norm", "llama.cpp's \"qwen2\" architecture has no attn_q_norm/attn_k_norm");
                if (c.OutputBias) throw Refuse(c, "an o_proj bias", "llama.cpp's \"qwen2\" architecture reads q/k/v biases only (no attn_output.bias)");
                if (c.RopeScaling?.Type == RopeScaling.Llama3) throw Refuse(c, "llama3 rope scaling", "llama.cpp's \"qwen2\" architecture reads no rope_freqs tensor");
                return new(GgufKeys.Qwen2Architecture, RotateHalf: true);
            case ModelFamilies.Qwen3:
                if (!c.QkNorm) throw Refuse(c, "no q/k norm", "llama.cpp's \"qwen3\" architecture requires attn_q_norm/attn_k_norm");
                if (c.QkvBias || c.OutputBias) throw Refuse(c, "attention biases", "llama.cpp's \"qwen3\" architecture reads no attention bias tensors");
                if (c.RopeScaling?.Type == RopeScaling.Llama3) throw Refuse(c, "llama3 rope scaling", "llama.cpp's \"qwen3\" architecture reads no rope_freqs tensor");
                return new(GgufKeys.Qwen3Architecture, RotateHalf: true);
            default:
                throw new ArgumentException($"family '{c.Family}' has no GGUF architecture here (llama, mistral, qwen2 and qwen3 do)");
        }
    }

    /// <summary>
    /// True where llama.cpp requires a bias tensor the model does not have ("qwen2" loads
    /// attn_q/k/v.bias unconditionally): the writer then writes zeros, which is the same math.
    /// </summary>
    public bool RequiresBias(string projection) => Name == GgufKeys.Qwen2Architecture && projection is "q_proj" or "k_proj" or "v_proj";

    /// <summary>
    /// A tensor whose first dimension is indexed by rotated head dimensions (q/k rows, q/k biases,
    /// LoRA B rows of q/k, q_norm/k_norm: <paramref name="heads"/> heads of head_dim), in this
    /// architecture's rotary order; anything else unchanged.
    /// </summary>
    public TensorData RotaryRows(TensorData t, int? heads) => RotateHalf && heads is int h ? RotaryLayout.ToHuggingFace(t, h) : t;

    /// <summary>Rotated heads of a projection's output rows: n_heads for q_proj, n_kv_heads for k_proj, else none.</summary>
    public static int? RotatedHeads(LlamaConfig c, string projection) => projection switch
    {
        "q_proj" => c.NumHeads,
        "k_proj" => c.NumKvHeads,
        _ => null,
    };

    static ArgumentException Refuse(LlamaConfig c, string feature, string why) =>
        new($"a {c.Family} model with {feature} cannot be written as GGUF: {why}");
}
