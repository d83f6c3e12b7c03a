using Adapters.Core.Model;

namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// ΔW of every foldable adapter method (<see cref="AdapterMethods.IsFoldable"/>), computed from
/// the adapter folder's tensors alone (pure C#, float64 accumulation):
/// lora: (alpha / r) · B A; gmt: the stored delta; circulant / toeplitz / kronecker / ldr: the
/// structured matrix (<see cref="StructuredMatrices"/>); tarp-static: W ⊙ (U V) + B C A, which
/// also needs the base weight W.
/// </summary>
public sealed class AdapterWeightDelta : IWeightDelta
{
    readonly AdapterFolder _adapter;
    readonly LlamaConfig _model;
    readonly LlamaWeights? _baseWeights;
    readonly Func<int, string, float[]> _materialize;

    /// <param name="baseWeights">The base model; required for tarp-static (its ΔW scales W), unused otherwise.</param>
    public AdapterWeightDelta(AdapterFolder adapter, LlamaConfig model, LlamaWeights? baseWeights = null)
    {
        _adapter = adapter;
        _model = model;
        _baseWeights = baseWeights;
        string method = adapter.Manifest.Method;
        if (!AdapterMethods.IsFoldable(method))
            throw new ArgumentException($"a {method} adapter has no fixed weight delta and cannot be folded into the base weights"
                + (method == AdapterMethods.Tarp ? " (its core depends on each token; tarp-static folds)" : ""));
        if (method == AdapterMethods.TarpStatic && baseWeights is null)
            throw new ArgumentException("folding tarp-static needs the base weights: its delta is W ⊙ (U V) + B C A");
        Method = method;
        (Targets, _materialize) = method switch
        {
            AdapterMethods.Lora => Setup(adapter.Manifest.HyperparametersAs<LoraConfig>().Validate(model), c => (c.LayersOf(model), c.TargetModules), Lora),
            AdapterMethods.Gmt => Setup(adapter.Manifest.HyperparametersAs<GmtConfig>().Validate(model), c => (c.LayersOf(model), c.TargetModules), Gmt),
            AdapterMethods.TarpStatic => Setup(adapter.Manifest.HyperparametersAs<TarpConfig>().Validate(model), c => (c.LayersOf(model), c.TargetModules), TarpStatic),
            _ => Setup(adapter.Manifest.HyperparametersAs<StructuredConfig>().Validate(method, model), c => (c.LayersOf(model), c.TargetModules), Structured),
        };
    }

    public string Method { get; }
    public IReadOnlyList<(int Layer, string Projection)> Targets { get; }

    public float[] Materialize(int layer, string projection)
    {
        if (!Targets.Contains((layer, projection)))
            throw new ArgumentException($"the {Method} adapter has no delta for {LlamaTensorNames.ProjectionModule(layer, projection)}");
        return _materialize(layer, projection);
    }

    (IReadOnlyList<(int, string)>, Func<int, string, float[]>) Setup<TConfig>(TConfig config,
        Func<TConfig, (IEnumerable<int> Layers, IReadOnlyList<string> Projections)> targets, Func<TConfig, int, string, float[]> materialize)
    {
        var (layers, projections) = targets(config);
        var list = layers.SelectMany(l => projections.Select(p => (l, p))).ToList();
        return (list, (l, p) => materialize(config, l, p));
    }

    float[] Tensor(string name) => _adapter.Tensors.TryGetValue(name, out var t) ? t.Data
        : throw new ArgumentException($"{Method} adapter tensor '{name}' is missing");

    float[] Lora(LoraConfig c, int l, string p)
    {
        var (o, i) = LlamaTensorNames.ProjectionShape(_model, p);
        var product = StructuredMatrices.MatMul(Tensor(AdapterTensorNames.LoraB(l, p)), Tensor(AdapterTensorNames.LoraA(l, p)), o, c.Rank, i);
        return Array.ConvertAll(product, v => (float)(v * c.Scale));
    }

    float[] Gmt(GmtConfig c, int l, string p) => (float[])Tensor(AdapterTensorNames.WeightDelta(l, p)).Clone();

    float[] Structured(StructuredConfig c, int l, string p)
    {
        var (o, i) = LlamaTensorNames.ProjectionShape(_model, p);
        float[] T(string tensor) => Tensor(AdapterTensorNames.Of(l, p, Method, tensor));
        switch (Method)
        {
            case AdapterMethods.Circulant: return StructuredMatrices.Circulant(T("c"));
            case AdapterMethods.Toeplitz: return StructuredMatrices.Toeplitz(T("t"), o, i);
            case AdapterMethods.Kronecker:
                var f = KroneckerFactors.Of(o, i);
                return StructuredMatrices.Kronecker(T("B"), f.Out1, f.In1, T("A"), f.Out2, f.In2);
            default: return StructuredMatrices.Ldr(T("c"), T("s"), c.Rank);
        }
    }

    float[] TarpStatic(TarpConfig c, int l, string p)
    {
        var (o, i) = LlamaTensorNames.ProjectionShape(_model, p);
        int r = c.Rank;
        float[] T(string tensor) => Tensor(AdapterTensorNames.Of(l, p, Method, tensor));
        var w = _baseWeights![LlamaTensorNames.Projection(l, p)].Data;
        var scale = StructuredMatrices.MatMul(T(TarpSchema.U), T(TarpSchema.V), o, r, i);                    // U V [out, in]
        var bc = Array.ConvertAll(StructuredMatrices.MatMul(T(TarpSchema.B), T(TarpSchema.Core), o, r, r), v => (float)v); // B C [out, r]
        var lowRank = StructuredMatrices.MatMul(bc, T(TarpSchema.A), o, r, i);                               // B C A [out, in]
        var result = new float[(long)o * i];
        for (long x = 0; x < result.Length; x++) result[x] = (float)(w[x] * scale[x] + lowRank[x]);
        return result;
    }
}
