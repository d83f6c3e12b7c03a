namespace Adapters.Export.Onnx;

/// <summary>
/// Which ONNX Runtime contrib ops the decoder graph uses in place of standard-op subgraphs
/// (<c>export --fuse</c>). None keeps standard ONNX ops only.
/// </summary>
public sealed record DecoderFusions
{
    public static readonly DecoderFusions None = new();

    /// <summary>
    /// Attention (rotary, cache append, grouped-head softmax) as one com.microsoft
    /// GroupQueryAttention node per layer, whose KV cache can be one buffer shared by past and
    /// present (written in place, no copy per step).
    /// </summary>
    public bool GroupQueryAttention { get; init; }

    /// <summary>
    /// Each residual add and the RMSNorm after it as one com.microsoft SkipSimplifiedLayerNormalization
    /// (ONNX Runtime fuses the norm alone on its own, not the add); where an adapter edits the residual
    /// stream between them, the add stays.
    /// </summary>
    public bool SkipNorm { get; init; }

    /// <summary>
    /// The rotary step of standard attention as com.microsoft RotaryEmbedding nodes (adjacent pairs,
    /// cos/sin caches) instead of gather/multiply/add subgraphs; GroupQueryAttention rotates inside.
    /// </summary>
    public bool RotaryEmbedding { get; init; }

    /// <summary>The names <c>export --fuse</c> takes, in its order.</summary>
    public const string GqaName = "gqa", SkipNormName = "skip-norm", RotaryName = "rotary", NoneName = "none";

    /// <summary>"none", or a comma-separated list of gqa, skip-norm, rotary; anything else is refused naming the accepted words.</summary>
    public static DecoderFusions Parse(string text)
    {
        var words = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant()).ToList();
        if (words.Count == 0) throw new ArgumentException("--fuse needs a value: none, or a comma-separated list of gqa, skip-norm, rotary");
        if (words is [NoneName]) return None;
        var fusions = None;
        foreach (string word in words)
            fusions = word switch
            {
                GqaName => fusions with { GroupQueryAttention = true },
                SkipNormName => fusions with { SkipNorm = true },
                RotaryName => fusions with { RotaryEmbedding = true },
                _ => throw new ArgumentException($"--fuse: '{word}' is not a fusion; use none, or a comma-separated list of {GqaName}, {SkipNormName}, {RotaryName}"),
            };
        return fusions;
    }

    /// <summary>The list <see cref="Parse"/> reads back, for manifests and logs.</summary>
    public override string ToString()
    {
        var words = new List<string>();
        if (GroupQueryAttention) words.Add(GqaName);
        if (SkipNorm) words.Add(SkipNormName);
        if (RotaryEmbedding) words.Add(RotaryName);
        return words.Count == 0 ? NoneName : string.Join(",", words);
    }

    /// <summary>
    /// What an export uses when --fuse is not given: GroupQueryAttention where ONNX Runtime's kernel
    /// takes the head size (it paid most in `adapters bench`: decode 0.75× at batch 1, 0.6× at batch 8
    /// on the 15M shape; skip-norm and rotary paid within a few percent), else standard ops.
    /// </summary>
    public static DecoderFusions Default(Core.Model.LlamaConfig config) =>
        config.HeadSize % 16 == 0 ? new DecoderFusions { GroupQueryAttention = true } : None;

    /// <summary>Whether ONNX Runtime's kernels take this model's shape with these fusions (<see cref="ValidateFor"/> says why not).</summary>
    public bool AllowsShape(Core.Model.LlamaConfig config) => !GroupQueryAttention || config.HeadSize % 16 == 0;

    /// <summary>ONNX Runtime's kernels take only some shapes; refuses what they do not, naming the model's value.</summary>
    public DecoderFusions ValidateFor(Core.Model.LlamaConfig config)
    {
        if (GroupQueryAttention && config.HeadSize % 16 != 0)
            throw new ArgumentException($"--fuse {GqaName}: ONNX Runtime's GroupQueryAttention needs a head size that is a multiple of 16, and this model's is {config.HeadSize}; export without {GqaName}");
        if (GroupQueryAttention && RotaryEmbedding)
            throw new ArgumentException($"--fuse {RotaryName} applies to standard attention; {GqaName} already rotates inside the op");
        return this;
    }
}
