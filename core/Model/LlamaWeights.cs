using Adapters.Core.IO;
using static Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.Core.Model;

/// <summary>
/// A complete set of fp32 LLaMA weights under canonical names (<see cref="LlamaTensorNames"/>),
/// checked against the config on construction. Immutable after construction: adapters and
/// compression produce new instances, never edit these arrays.
/// <para>
/// A compressed checkpoint may hold some projections factorised instead of dense
/// (<see cref="Factorized"/>, y = U (V x) + b): their dense weight is then absent, and reading
/// it through the indexer fails with a message that says so — an engine that supports
/// factorised projections asks <see cref="IsFactorized"/> first.
/// </para>
/// </summary>
public sealed class LlamaWeights
{
    readonly Dictionary<string, TensorData> _tensors;
    readonly Dictionary<string, FactorizedProjection> _factorized;

    /// <param name="source">File or folder the weights came from, named in errors.</param>
    public LlamaWeights(LlamaConfig config, IEnumerable<TensorData> tensors, string source = "<memory>")
        : this(config, tensors, [], source) { }

    /// <param name="factorized">Projections stored as U, V (+ bias) in place of their dense weight.</param>
    public LlamaWeights(LlamaConfig config, IEnumerable<TensorData> tensors, IEnumerable<FactorizedProjection> factorized, string source = "<memory>")
    {
        Config = config.Validate();
        Source = source;
        _tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var t in tensors) _tensors[t.Name] = t;
        _factorized = new Dictionary<string, FactorizedProjection>(StringComparer.Ordinal);
        foreach (var f in factorized)
        {
            f.Validate(config, source);
            if (_tensors.ContainsKey(f.WeightName))
                throw new InvalidFileException(source, $"'{f.WeightName}' is both dense and factorised");
            _factorized[f.WeightName] = f;
        }
        foreach (var (name, shape) in ExpectedShapes(config))
        {
            if (_factorized.ContainsKey(name)) continue;
            if (!_tensors.TryGetValue(name, out var t))
                throw new InvalidFileException(source, $"missing tensor '{name}' (expected shape [{string.Join(", ", shape)}])");
            if (!t.HasShape(shape))
                throw new InvalidFileException(source, $"tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}]");
        }
    }

    public LlamaConfig Config { get; }
    public string Source { get; }

    public TensorData this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t
        : name == Classifier && Config.SharedClassifier ? _tensors[TokenEmbedding]
        : _factorized.ContainsKey(name) ? throw new KeyNotFoundException($"'{name}' in weights from {Source} is factorised (y = U (V x) + b); read it through Factorized")
        : throw new KeyNotFoundException($"no tensor '{name}' in weights from {Source}");

    public bool Contains(string name) => _tensors.ContainsKey(name) || (name == Classifier && Config.SharedClassifier);

    /// <summary>Factorised projections by the dense weight name they replace (empty for an ordinary checkpoint).</summary>
    public IReadOnlyDictionary<string, FactorizedProjection> Factorized => _factorized;

    public bool IsFactorized(string weightName) => _factorized.ContainsKey(weightName);

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
                if (HasBias(c, p)) yield return (ProjectionBias(l, p), [o]);
            }
            if (c.QkNorm)
            {
                yield return (QNorm(l), [c.HeadSize]);
                yield return (KNorm(l), [c.HeadSize]);
            }
            yield return (FfnNorm(l), [c.Dim]);
        }
        yield return (FinalNorm, [c.Dim]);
        if (!c.SharedClassifier) yield return (Classifier, [c.VocabSize, c.Dim]);
    }

    /// <summary>True when the config gives this projection a bias (q/k/v: qkv_bias; o_proj: o_bias; the MLP never).</summary>
    public static bool HasBias(LlamaConfig c, string projection) => projection switch
    {
        "q_proj" or "k_proj" or "v_proj" => c.QkvBias,
        "o_proj" => c.OutputBias,
        _ => false,
    };

    /// <summary>A copy with some tensors replaced (same names and shapes), e.g. fused adapter deltas.</summary>
    public LlamaWeights With(IEnumerable<TensorData> replacements, LlamaConfig? config = null)
    {
        var merged = new Dictionary<string, TensorData>(_tensors, StringComparer.Ordinal);
        foreach (var t in replacements) merged[t.Name] = t;
        return new LlamaWeights(config ?? Config, merged.Values, _factorized.Values.Where(f => !merged.ContainsKey(f.WeightName)), Source);
    }

    /// <summary>A copy in which the given projections are factorised (their dense weights dropped).</summary>
    public LlamaWeights WithFactorized(IEnumerable<FactorizedProjection> factorized)
    {
        var all = new Dictionary<string, FactorizedProjection>(_factorized, StringComparer.Ordinal);
        foreach (var f in factorized) all[f.WeightName] = f;
        return new LlamaWeights(Config, _tensors.Values.Where(t => !all.ContainsKey(t.Name)), all.Values, Source);
    }
}
