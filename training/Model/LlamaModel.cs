using Adapters.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Names = Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.Training.Model;

/// <summary>
/// A LLaMA-family causal language model in TorchSharp (HF's LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM): the
/// <see cref="LlamaBackbone"/> under the module name "model", then the classifier "lm_head"
/// (absent when it shares the token embedding). Named parameters are exactly the Hugging Face
/// keys of <see cref="LlamaTensorNames"/>. Build with <see cref="FromWeights"/> in the dtype and
/// on the device wanted; do not move an instance with .to() (rotary tables and new caches keep the
/// construction dtype and device): build another one instead.
/// </summary>
public sealed class LlamaModel : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are HF module names (model.*, lm_head)
    readonly LlamaBackbone model;
    readonly LinearProjection? lm_head; // [vocab, dim]; null when the classifier is the embedding
#pragma warning restore IDE1006
    readonly RotaryEmbedding _rotary;
    readonly Dictionary<string, Func<Parameter>> _baseParameters;

    LlamaModel(LlamaConfig config, LlamaBackbone backbone, LinearProjection? classifier, RotaryEmbedding rotary, ScalarType dtype, Device device)
        : base(nameof(LlamaModel))
    {
        Config = config;
        DType = dtype;
        Device = device;
        model = backbone;
        lm_head = classifier;
        _rotary = rotary;
        _baseParameters = BaseParameterTable();
        RegisterComponents();
    }

    /// <summary>
    /// Builds the model from core weights, converted to <paramref name="dtype"/> on
    /// <paramref name="device"/> (CPU by default). Base weights are frozen (requires_grad false)
    /// unless <paramref name="trainBaseWeights"/> is set.
    /// </summary>
    public static LlamaModel FromWeights(LlamaWeights weights, ScalarType dtype = ScalarType.Float32, Device? device = null, bool trainBaseWeights = false)
    {
        // Half types would need float32 norms and softmax to be trustworthy; not built or tested yet.
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"dtype must be Float32 or Float64, got {dtype}");
        var c = weights.Config;
        device ??= CPU;
        Parameter P(string name) => TensorConversion.ToParameter(weights[name], dtype, device, trainBaseWeights);
        LinearProjection Linear(int l, string projection) => new(P(Names.Projection(l, projection)),
            LlamaWeights.HasBias(c, projection) ? P(Names.ProjectionBias(l, projection)) : null);
        RmsNorm? HeadNorm(string name) => c.QkNorm ? new RmsNorm(P(name), c.NormEps) : null;

        var rotary = new RotaryEmbedding(c, dtype, device);
        var blocks = Enumerable.Range(0, c.NumLayers).Select(l => new TransformerBlock(l,
            new RmsNorm(P(Names.AttentionNorm(l)), c.NormEps),
            new Attention(c, Linear(l, "q_proj"), Linear(l, "k_proj"), Linear(l, "v_proj"), Linear(l, "o_proj"), rotary, HeadNorm(Names.QNorm(l)), HeadNorm(Names.KNorm(l))),
            new RmsNorm(P(Names.FfnNorm(l)), c.NormEps),
            new FeedForward(Linear(l, "gate_proj"), Linear(l, "up_proj"), Linear(l, "down_proj")))).ToList();
        var backbone = new LlamaBackbone(new TokenEmbedding(P(Names.TokenEmbedding)), blocks, new RmsNorm(P(Names.FinalNorm), c.NormEps));
        var classifier = c.SharedClassifier ? null : new LinearProjection(P(Names.Classifier));
        return new LlamaModel(c, backbone, classifier, rotary, dtype, device);
    }

    public LlamaConfig Config { get; }
    public ScalarType DType { get; }
    public Device Device { get; }
    public LlamaBackbone Backbone => model;
    public IReadOnlyList<TransformerBlock> Layers => model.Layers;

    /// <summary>
    /// Logits [batch, seq, vocab] for token ids [batch, seq] (int64) at positions startPos..;
    /// with a cache, keys/values are stored and earlier positions are attended to (prefill, then
    /// one-token decode steps). Without a cache, startPos must be 0 (a full-sequence pass).
    /// </summary>
    public Tensor Forward(Tensor inputIds, int startPos, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        // 1. final-normalised hidden states [batch, seq, dim]
        var hidden = HiddenStates(inputIds, startPos, cache);
        // 2. classifier → logits [batch, seq, vocab]
        return Classify(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Final-normalised hidden states [batch, seq, dim] (what <see cref="Forward"/> classifies), so
    /// a loss that scores a few positions classifies only those: with a 150k-token vocabulary the
    /// classifier is most of a small model's work.
    /// </summary>
    public Tensor HiddenStates(Tensor inputIds, int startPos = 0, KvCache? cache = null)
    {
        if (inputIds.dim() != 2 || inputIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"input ids must be a 2-D int64 tensor [batch, seq], got {inputIds.dim()}-D {inputIds.dtype}");
        long batch = inputIds.shape[0], seq = inputIds.shape[1];
        if (seq == 0) throw new ArgumentException("input ids hold no tokens");
        if (startPos < 0 || startPos + seq > Config.MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(startPos), $"positions {startPos}..{startPos + seq - 1} exceed the context of {Config.MaxSeqLen}");
        if (cache is null && startPos != 0)
            throw new ArgumentException($"a forward without a cache starts at position 0, got {startPos}");
        if (cache is not null && cache.BatchSize != batch)
            throw new ArgumentException($"batch of {batch} rows does not match the cache's {cache.BatchSize} rows");
        return model.forward(inputIds, startPos, cache);
    }

    /// <summary>Logits [..., vocab] of hidden states [..., dim]; a shared classifier is the embedding table.</summary>
    public Tensor Classify(Tensor hidden) =>
        lm_head is not null ? lm_head.call(hidden) : nn.functional.linear(hidden, model.Embedding.Weight);

    /// <summary>Full-sequence training forward: logits [batch, seq, vocab] for every position, no cache.</summary>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds, 0, null);

    /// <summary>A fresh cache for this model's shape, dtype and device; the caller owns it.</summary>
    public KvCache CreateCache(int batchSize = 1) => new(Config, batchSize, DType, Device);

    /// <summary>The module currently computing a projection, e.g. (0, "q_proj") → model.layers.0.self_attn.q_proj.</summary>
    public nn.Module<Tensor, Tensor> GetProjection(int layer, string projection)
    {
        var block = Block(layer);
        return Projections.IsAttention(projection) ? block.SelfAttention.GetProjection(projection) : block.Mlp.GetProjection(projection);
    }

    /// <summary>
    /// Replaces a projection (keeping its module name) and returns the module it replaced.
    /// Takes ownership of <paramref name="replacement"/>; the base projection stays owned by the model.
    /// </summary>
    public nn.Module<Tensor, Tensor> SetProjection(int layer, string projection, nn.Module<Tensor, Tensor> replacement)
    {
        var block = Block(layer);
        return Projections.IsAttention(projection)
            ? block.SelfAttention.SetProjection(projection, replacement)
            : block.Mlp.SetProjection(projection, replacement);
    }

    /// <summary>The original projection of a layer, whatever adapter currently wraps it.</summary>
    public LinearProjection BaseProjection(int layer, string projection)
    {
        var block = Block(layer);
        return Projections.IsAttention(projection) ? block.SelfAttention.BaseProjection(projection) : block.Mlp.BaseProjection(projection);
    }

    /// <summary>Sets (or clears, with null) the intervention on a layer's residual-stream output.</summary>
    public void SetResidualHook(int layer, ResidualStreamHook? hook) => Block(layer).ResidualHook = hook;

    /// <summary>A base weight by its canonical name (the embedding for a shared "lm_head.weight").</summary>
    public Parameter BaseParameter(string name) =>
        _baseParameters.TryGetValue(name, out var get) ? get()
        : name == Names.Classifier && Config.SharedClassifier ? model.Embedding.Weight
        : throw new KeyNotFoundException($"no base weight '{name}' in this model");

    /// <summary>Every base weight by canonical name, in llama2.c file order (a shared classifier once).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> BaseParameters =>
        LlamaWeights.ExpectedShapes(Config).Select(e => (e.Name, BaseParameter(e.Name)));

    /// <summary>Freezes (false) or unfreezes (true) every base weight; adapter parameters are untouched.</summary>
    public void SetBaseTrainable(bool trainable)
    {
        foreach (var (_, p) in BaseParameters) p.requires_grad_(trainable);
    }

    /// <summary>A float32 copy of the current base weights, e.g. after training them.</summary>
    public LlamaWeights ToWeights() =>
        new(Config, BaseParameters.Select(e => TensorConversion.ToTensorData(e.Name, e.Parameter)).ToList(), "torch:" + DType);

    TransformerBlock Block(int layer) =>
        layer >= 0 && layer < Config.NumLayers ? model.Layers[layer]
        : throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is outside 0..{Config.NumLayers - 1}");

    /// <summary>
    /// Canonical name → current base parameter, read through the modules that own them so that
    /// wrapping a projection never hides its base weight.
    /// </summary>
    Dictionary<string, Func<Parameter>> BaseParameterTable()
    {
        var table = new Dictionary<string, Func<Parameter>>(StringComparer.Ordinal)
        {
            [Names.TokenEmbedding] = () => model.Embedding.Weight,
            [Names.FinalNorm] = () => model.FinalNorm.Weight,
        };
        if (lm_head is { } classifier) table[Names.Classifier] = () => classifier.Weight;
        // The one bias getter: a projection without a bias is not in LlamaWeights.ExpectedShapes, so never asked for.
        Func<Parameter> BiasOf(Func<LinearProjection> projection, string name) => () => projection().Bias ?? throw new KeyNotFoundException($"{name} has no bias in this model");
        foreach (var block in model.Layers)
        {
            int l = block.LayerIndex;
            table[Names.AttentionNorm(l)] = () => block.AttentionNorm.Weight;
            table[Names.FfnNorm(l)] = () => block.FfnNorm.Weight;
            foreach (string p in Projections.Attention)
            {
                table[Names.Projection(l, p)] = () => block.SelfAttention.BaseProjection(p).Weight;
                if (LlamaWeights.HasBias(Config, p)) table[Names.ProjectionBias(l, p)] = BiasOf(() => block.SelfAttention.BaseProjection(p), Names.ProjectionModule(l, p));
            }
            foreach (string p in Projections.FeedForward) table[Names.Projection(l, p)] = () => block.Mlp.BaseProjection(p).Weight;
            if (block.SelfAttention.QueryNorm is { } qNorm) table[Names.QNorm(l)] = () => qNorm.Weight;
            if (block.SelfAttention.KeyNorm is { } kNorm) table[Names.KNorm(l)] = () => kNorm.Weight;
        }
        return table;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _rotary.Dispose();
    }
}
