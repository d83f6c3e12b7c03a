using static Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.Core.Model;

/// <summary>
/// A complete set of fp32 LLaMA weights under canonical names (<see cref="LlamaTensorNames"/>),
/// checked against the config on construction. Immutable after construction: adapters and
/// compression produce new instances, never edit these arrays.
/// </summary>
public sealed class LlamaWeights
{
    readonly Dictionary<string, TensorData> _tensors;

    /// <param name="source">File or folder the weights came from, named in errors.</param>
    public LlamaWeights(LlamaConfig config, IEnumerable<TensorData> tensors, string source = "<memory>")
    {
        Config = config.Validate();
        Source = source;
        _tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var t in tensors) _tensors[t.Name] = t;
        foreach (var (name, shape) in ExpectedShapes(config))
        {
            if (!_tensors.TryGetValue(name, out var t))
                throw new CheckpointFormatException(source, $"missing tensor '{name}' (expected shape [{string.Join(", ", shape)}])");
            if (!t.HasShape(shape))
                throw new CheckpointFormatException(source, $"tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}]");
        }
    }

    public LlamaConfig Config { get; }
    public string Source { get; }

    public TensorData this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t
        : name == Classifier && Config.SharedClassifier ? _tensors[TokenEmbedding]
        : throw new KeyNotFoundException($"no tensor '{name}' in weights from {Source}");

    public bool Contains(string name) => _tensors.ContainsKey(name) || (name == Classifier && Config.SharedClassifier);

    /// <summary>The stored tensors (a shared classifier appears once, as the embedding).</summary>
    public IEnumerable<TensorData> Tensors => _tensors.Values;

    /// <summary>Every tensor a config requires with its shape, in llama2.c file order.</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedShapes(LlamaConfig c)
    {
        yield return (TokenEmbedding, [c.VocabSize, c.Dim]);
        for (int l = 0; l < c.NumLayers; l++)
        {
            yield return (AttentionNorm(l), [c.Dim]);
            foreach (string p in Projections)
            {
                var (o, i) = ProjectionShape(c, p);
                yield return (Projection(l, p), [o, i]);
            }
            yield return (FfnNorm(l), [c.Dim]);
        }
        yield return (FinalNorm, [c.Dim]);
        if (!c.SharedClassifier) yield return (Classifier, [c.VocabSize, c.Dim]);
    }

    /// <summary>A copy with some tensors replaced (same names and shapes), e.g. fused adapter deltas.</summary>
    public LlamaWeights With(IEnumerable<TensorData> replacements, LlamaConfig? config = null)
    {
        var merged = new Dictionary<string, TensorData>(_tensors, StringComparer.Ordinal);
        foreach (var t in replacements) merged[t.Name] = t;
        return new LlamaWeights(config ?? Config, merged.Values, Source);
    }
}
