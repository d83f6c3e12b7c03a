using System.Text.Json.Serialization;

namespace Adapters.Core.Model;

/// <summary>
/// The shape of a LLaMA-family decoder: the one model description every checkpoint source,
/// engine and exporter shares. Rotary embeddings always rotate adjacent pairs (2i, 2i+1) inside
/// each head (the llama2.c / Meta layout); readers of other layouts convert on load.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>RMSNorm epsilon of llama2.c and LLaMA-2.</summary>
    public const float DefaultNormEps = 1e-5f;

    /// <summary>Rotary base of LLaMA-1/2.</summary>
    public const float DefaultRopeTheta = 10000f;

    /// <summary>Hugging Face model_type of the family (llama, mistral); also GenAI's model.type.</summary>
    [JsonPropertyName("family")] public string Family { get; init; } = ModelFamilies.Llama;
    [JsonPropertyName("dim")] public required int Dim { get; init; }
    [JsonPropertyName("hidden_dim")] public required int HiddenDim { get; init; }
    [JsonPropertyName("n_layers")] public required int NumLayers { get; init; }
    [JsonPropertyName("n_heads")] public required int NumHeads { get; init; }
    [JsonPropertyName("n_kv_heads")] public required int NumKvHeads { get; init; }
    [JsonPropertyName("vocab_size")] public required int VocabSize { get; init; }
    [JsonPropertyName("max_seq_len")] public required int MaxSeqLen { get; init; }
    [JsonPropertyName("norm_eps")] public float NormEps { get; init; } = DefaultNormEps;
    [JsonPropertyName("rope_theta")] public float RopeTheta { get; init; } = DefaultRopeTheta;
    /// <summary>True when the output classifier is the token embedding (tied weights).</summary>
    [JsonPropertyName("shared_classifier")] public bool SharedClassifier { get; init; } = true;

    /// <summary>Size of one attention head; null means dim / n_heads (Qwen3 sets it explicitly: 128 with dim 1024, 16 heads).</summary>
    [JsonPropertyName("head_dim")] public int? HeadDim { get; init; }
    /// <summary>q_proj, k_proj and v_proj carry a bias (Qwen2 always; Llama/Qwen3 with attention_bias).</summary>
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; }
    /// <summary>o_proj carries a bias (Llama and Qwen3 with attention_bias; never Qwen2).</summary>
    [JsonPropertyName("o_bias")] public bool OutputBias { get; init; }
    /// <summary>Per-head RMSNorm of q and k (weight [head_dim]) before the rotary step (Qwen3).</summary>
    [JsonPropertyName("qk_norm")] public bool QkNorm { get; init; }
    /// <summary>Rotary frequency scaling (Llama 3.x "llama3", or "linear"); null means none.</summary>
    [JsonPropertyName("rope_scaling")] public RopeScaling? RopeScaling { get; init; }

    [JsonIgnore] public int HeadSize => HeadDim ?? Dim / NumHeads;
    /// <summary>Width of the concatenated query heads: q_proj's output, o_proj's input.</summary>
    [JsonIgnore] public int QDim => HeadSize * NumHeads;
    [JsonIgnore] public int KvDim => HeadSize * NumKvHeads;
    /// <summary>Query heads that share one key/value head (grouped-query attention).</summary>
    [JsonIgnore] public int KvGroupSize => NumHeads / NumKvHeads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent value.</summary>
    public LlamaConfig Validate()
    {
        Positive(Dim, "dim"); Positive(HiddenDim, "hidden_dim"); Positive(NumLayers, "n_layers");
        Positive(NumHeads, "n_heads"); Positive(NumKvHeads, "n_kv_heads"); Positive(VocabSize, "vocab_size");
        Positive(MaxSeqLen, "max_seq_len");
        if (HeadDim is int explicitHead)
            Positive(explicitHead, "head_dim");
        else if (Dim % NumHeads != 0)
            throw new ArgumentException($"dim {Dim} is not divisible by n_heads {NumHeads}");
        if (HeadSize % 2 != 0)
            throw new ArgumentException($"head size {HeadSize} must be even for rotary embeddings");
        if (NumHeads % NumKvHeads != 0)
            throw new ArgumentException($"n_heads {NumHeads} is not a multiple of n_kv_heads {NumKvHeads}");
        if (!ModelFamilies.Supported.Contains(Family))
            throw new ArgumentException($"family '{Family}' is not supported; expected one of {string.Join(", ", ModelFamilies.Supported)}");
        if (!(NormEps > 0)) throw new ArgumentException($"norm_eps must be > 0, got {NormEps}");
        if (!(RopeTheta > 0)) throw new ArgumentException($"rope_theta must be > 0, got {RopeTheta}");
        RopeScaling?.Validate();
        return this;
    }

    /// <summary>Number of parameters, counting a shared classifier once.</summary>
    public long ParameterCount()
    {
        long perLayer = 2L * Dim + 2L * QDim * Dim + 2L * KvDim * Dim + 3L * HiddenDim * Dim
            + (QkvBias ? QDim + 2L * KvDim : 0) + (OutputBias ? Dim : 0) + (QkNorm ? 2L * HeadSize : 0);
        long total = (long)VocabSize * Dim + NumLayers * perLayer + Dim;
        return SharedClassifier ? total : total + (long)VocabSize * Dim;
    }

    static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}");
    }
}
