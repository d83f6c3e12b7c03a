using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Hugging Face checkpoints store everything indexed by a rotated head dimension in the layout
/// where rotary embeddings rotate the two halves of each head (rotate_half); our canonical layout
/// rotates adjacent pairs (2i, 2i+1). Canonical index h·hs + 2i + p is HF index h·hs + p·hs/2 + i.
/// That applies to the rows of q_proj/k_proj (weights and biases) and, within the one head they
/// cover, to Qwen3's q_norm/k_norm weights [head_dim]; v_proj and o_proj are not rotated.
/// </summary>
public static class RotaryLayout
{
    /// <summary>
    /// How many rotated heads a tensor's first dimension holds: n_heads for q_proj, n_kv_heads for
    /// k_proj (weight, bias, or a factorised weight_u), 1 for q_norm/k_norm; null when it is not rotated.
    /// </summary>
    public static int? RotatedHeads(LlamaConfig c, string name)
    {
        int dot = name.LastIndexOf('.');
        string module = dot < 0 ? name : name[..dot], suffix = dot < 0 ? "" : name[(dot + 1)..];
        if (suffix is not ("weight" or "bias" or "weight_u")) return null;
        if (module.EndsWith(".self_attn.q_proj", StringComparison.Ordinal)) return c.NumHeads;
        if (module.EndsWith(".self_attn.k_proj", StringComparison.Ordinal)) return c.NumKvHeads;
        if (suffix == "weight" && (module.EndsWith(".self_attn.q_norm", StringComparison.Ordinal) || module.EndsWith(".self_attn.k_norm", StringComparison.Ordinal))) return 1;
        return null;
    }

    /// <summary>The tensor in HF's layout if it is rotated (see <see cref="RotatedHeads"/>), else itself.</summary>
    public static TensorData ToHuggingFace(LlamaConfig c, TensorData t) => RotatedHeads(c, t.Name) is int heads ? ToHuggingFace(t, heads) : t;

    /// <summary>The tensor in the canonical layout if it is rotated, else itself.</summary>
    public static TensorData FromHuggingFace(LlamaConfig c, TensorData t) => RotatedHeads(c, t.Name) is int heads ? FromHuggingFace(t, heads) : t;

    /// <summary>Permutes the first dimension of <paramref name="w"/> ([rows] or [rows, cols]) head by head.</summary>
    public static TensorData ToHuggingFace(TensorData w, int heads) => Permute(w, heads, toHf: true);
    public static TensorData FromHuggingFace(TensorData w, int heads) => Permute(w, heads, toHf: false);

    static TensorData Permute(TensorData w, int heads, bool toHf)
    {
        int rows = w.Shape[0], cols = w.Shape.Length == 1 ? 1 : w.Data.Length / rows;
        if (rows % heads != 0 || (rows / heads) % 2 != 0)
            throw new ArgumentException($"tensor '{w.Name}' has {rows} rows, not {heads} heads of an even size");
        int headSize = rows / heads, half = headSize / 2;
        var result = new float[w.Data.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int p = 0; p < 2; p++)
                {
                    int canonical = h * headSize + 2 * i + p;
                    int hf = h * headSize + p * half + i;
                    int from = toHf ? canonical : hf, to = toHf ? hf : canonical;
                    Array.Copy(w.Data, (long)from * cols, result, (long)to * cols, cols);
                }
        return new TensorData(w.Name, w.Shape, result);
    }
}
