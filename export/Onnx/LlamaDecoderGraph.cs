using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.Quantization;
using DataType = Onnx.TensorProto.Types.DataType;
using N = Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.Export.Onnx;

/// <summary>
/// Builds the LLaMA decoder graph with a KV cache from fp32 weights, reading top to bottom like
/// llama2.c's forward(): embed, then per layer attention and SwiGLU feed-forward around two
/// residual adds, final RMSNorm, classifier. Extensions (<see cref="ILlamaGraphExtension"/>)
/// see every projection and the residual stream after every layer.
/// </summary>
public sealed class LlamaDecoderGraph
{
    /// <summary>Suffix of the [in, out] copy of a canonical [out, in] linear weight.</summary>
    public const string TransposedSuffix = ".T";

    /// <summary>Graph name, also recorded by ONNX Runtime in its logs.</summary>
    public const string GraphName = "llama_decoder";

    readonly LlamaWeights _weights;
    readonly LlamaConfig _c;
    readonly OnnxGraphBuilder _g;
    readonly LlamaBlocks _blocks;
    readonly LlamaGraphContext _context;
    readonly IReadOnlyList<ILlamaGraphExtension> _extensions;
    readonly MatMulNBitsEmitter? _quantized;
    readonly DecoderFusions _fusions;

    LlamaDecoderGraph(LlamaWeights weights, IReadOnlyList<ILlamaGraphExtension> extensions, MatMulNBitsEmitter? quantized, DecoderFusions fusions)
    {
        _fusions = fusions;
        _weights = weights;
        _c = weights.Config;
        _g = new OnnxGraphBuilder(GraphName);
        _blocks = new LlamaBlocks(_g, _c);
        _context = new LlamaGraphContext(_g, _c, _blocks);
        _extensions = extensions;
        _quantized = quantized;
    }

    /// <summary>
    /// Builds the decoder; weights are referenced (canonical ones) or transposed copies, never modified.
    /// With <paramref name="quantized"/> the projections (and, if it says so, the classifier) are
    /// block-quantized MatMulNBits nodes instead of fp32 MatMuls.
    /// </summary>
    public static OnnxModel Build(LlamaWeights weights, IReadOnlyList<ILlamaGraphExtension>? extensions = null,
        IReadOnlyDictionary<string, string>? metadata = null, MatMulNBitsEmitter? quantized = null, DecoderFusions? fusions = null)
    {
        if (quantized is not null && weights.Factorized.Count > 0)
            throw new ArgumentException($"weights from {weights.Source} hold factorised (compressed) projections; quantizing them is not supported: export them without --quantize");
        var graph = new LlamaDecoderGraph(weights, extensions ?? [], quantized, (fusions ?? DecoderFusions.None).ValidateFor(weights.Config));
        graph.BuildGraph();
        string version = typeof(LlamaDecoderGraph).Assembly.GetName().Version?.ToString() ?? "0";
        return graph._g.Build("Adapters.Export", version, metadata);
    }

    void BuildGraph()
    {
        AddStandardInputs();
        foreach (var e in _extensions) e.AddInputs(_context);

        // token embedding: x = embedding[input_ids]                      [B, S, dim]
        string embedding = _g.AddWeight(N.TokenEmbedding, [_c.VocabSize, _c.Dim], _weights[N.TokenEmbedding].Data);
        string x = _g.Gather(embedding, DecoderIoNames.InputIds, 0, "embedded");

        // shared by all layers: what attention reads besides q, k, v (see AttentionInputs)
        var attention = SharedAttentionInputs();

        var stream = new ResidualStream(x, null);
        for (int l = 0; l < _c.NumLayers; l++)
        {
            using (_g.PushScope($"layers.{l}")) stream = Layer(l, stream, attention);
            stream = AfterLayer(l, stream);
        }

        // final norm and classifier: logits = rmsnorm(x)·Wclsᵀ          [B, S, vocab]
        string final;
        using (_g.PushScope("final")) (final, _) = Norm(stream, Weight(N.FinalNorm));
        if (_quantized?.Options.ClassifierBits is not null) _quantized.Classifier(_g, final, _weights[N.Classifier], DecoderIoNames.Logits);
        else _blocks.Classifier(final, _c.SharedClassifier ? embedding : Weight(N.Classifier), DecoderIoNames.InputIds, DecoderIoNames.Logits);
        AddStandardOutputs();
        foreach (var e in _extensions) e.AddOutputs(_context);
    }

    /// <summary>
    /// Standard ops: the rotary cos/sin rows of position_ids and the causal + padding mask (and,
    /// with fused rotary, the cos/sin caches its nodes read). GroupQueryAttention: its rotary caches
    /// and the per-row lengths from attention_mask.
    /// </summary>
    AttentionInputs SharedAttentionInputs()
    {
        if (_fusions.GroupQueryAttention)
            return new AttentionInputs(default, "", _blocks.RotaryCaches(), _blocks.GroupQueryAttentionLengths(DecoderIoNames.AttentionMask));
        string allowed = _blocks.AttentionAllowed(DecoderIoNames.InputIds, DecoderIoNames.AttentionMask);
        return _fusions.RotaryEmbedding
            ? new AttentionInputs(default, allowed, _blocks.RotaryCaches(), default)
            : new AttentionInputs(_blocks.RotaryTables(DecoderIoNames.PositionIds), allowed, default, default);
    }

    readonly record struct AttentionInputs((string Cos, string Sin) Rotary, string Allowed, (string Cos, string Sin) RotaryCaches, (string SeqlensK, string TotalLength) Lengths);

    /// <summary>
    /// The residual stream between blocks: <see cref="Value"/>, or, when the add that makes it is
    /// folded into the next norm (<see cref="DecoderFusions.SkipNorm"/>), <see cref="Pending"/> =
    /// the two summands, with no value of its own yet.
    /// </summary>
    readonly record struct ResidualStream(string? Value, (string X, string Delta)? Pending);

    /// <summary>RMSNorm of the stream with <paramref name="gain"/>; returns it and the stream's value (made here when it was pending).</summary>
    (string Normed, string Stream) Norm(ResidualStream stream, string gain) =>
        stream.Pending is { } add ? _blocks.SkipRmsNorm(add.X, add.Delta, gain) : (_blocks.RmsNorm(stream.Value!, gain), stream.Value!);

    /// <summary>
    /// x + delta as the stream after a block. With skip-norm fusion the add is left for the next
    /// norm when <paramref name="canFold"/>; otherwise it is an Add node.
    /// </summary>
    ResidualStream Residual(string x, string delta, bool canFold) =>
        _fusions.SkipNorm && canFold ? new ResidualStream(null, (x, delta)) : new ResidualStream(_g.Add(x, delta, "residual"), null);

    /// <summary>
    /// Hands the stream after layer <paramref name="layer"/> to the extensions (ReFT edits it there).
    /// A pending add is built for them; if none used it, it is removed again and stays pending.
    /// </summary>
    ResidualStream AfterLayer(int layer, ResidualStream stream)
    {
        if (_extensions.Count == 0) return stream;
        string sum = stream.Value ?? _g.Add(stream.Pending!.Value.X, stream.Pending.Value.Delta, "residual");
        string edited = sum;
        foreach (var e in _extensions) edited = e.OnResidualStream(_context, layer, edited);
        if (stream.Pending is not null && edited == sum && _g.TryRemoveUnread(sum)) return stream;
        return new ResidualStream(edited, null);
    }

    ResidualStream Layer(int l, ResidualStream stream, AttentionInputs attention)
    {
        // attention: x += o_proj(attention(rmsnorm(x)))
        ResidualStream afterAttention;
        using (_g.PushScope("attn"))
        {
            var (xb, x) = Norm(stream, Weight(N.AttentionNorm(l)));
            // GroupQueryAttention splits a packed q|k|v itself, which saves a Split per layer; Qwen3's q/k norms need them apart.
            string[] qkv = Projections(l, ProjectionGroup.Qkv, xb, keepPacked: _fusions.GroupQueryAttention && !_c.QkNorm);
            (string, string)? qkNorm = _c.QkNorm ? (Weight(N.QNorm(l)), Weight(N.KNorm(l))) : null;
            string context = _fusions.GroupQueryAttention
                ? _blocks.GroupQueryAttention(qkv[0], qkv.ElementAtOrDefault(1), qkv.ElementAtOrDefault(2), attention.RotaryCaches, attention.Lengths,
                    DecoderIoNames.PastKey(l), DecoderIoNames.PastValue(l), DecoderIoNames.PresentKey(l), DecoderIoNames.PresentValue(l), qkNorm)
                : _blocks.Attention(qkv[0], qkv[1], qkv[2], attention.Rotary, attention.Allowed,
                    DecoderIoNames.PastKey(l), DecoderIoNames.PastValue(l), DecoderIoNames.PresentKey(l), DecoderIoNames.PresentValue(l), qkNorm,
                    _fusions.RotaryEmbedding ? attention.RotaryCaches : null);
            // Nothing reads the stream between this add and the feed-forward norm: it can always fold.
            afterAttention = Residual(x, Projections(l, ProjectionGroup.Output, context)[0], canFold: true);
        }

        // feed-forward: x += down_proj(silu(gate_proj(xb)) · up_proj(xb))
        using (_g.PushScope("mlp"))
        {
            var (xb, x) = Norm(afterAttention, Weight(N.FfnNorm(l)));
            string[] gateUp = Projections(l, ProjectionGroup.GateUp, xb);
            string gated = _blocks.SwiGlu(gateUp[0], gateUp[1]);
            return Residual(x, Projections(l, ProjectionGroup.Down, gated)[0], canFold: true);
        }
    }

    /// <summary>
    /// The one place linear projections are emitted, a group at a time: one x·Wᵀ over the
    /// members' packed weight [in, Σout] plus their packed bias [Σout] where the model has one
    /// (q/k/v with qkv_bias, o_proj with o_bias), then every extension's edit of the packed output,
    /// then a Split back into the members' outputs (or, with <paramref name="keepPacked"/>, the packed
    /// output alone). A group holding a factorised projection of a compressed checkpoint,
    /// (x·Vᵀ)·Uᵀ + b, is computed member by member and packed (Concat) only when extensions may edit
    /// it; without them its members' outputs come back apart, packed or not.
    /// </summary>
    string[] Projections(int layer, ProjectionGroup group, string input, bool keepPacked = false)
    {
        int[] outFeatures = group.MemberOutFeatures(_c);
        var site = new ProjectionSite(layer, group, group.InFeatures(_c), outFeatures);
        var members = group.Members.Select(p => N.Projection(layer, p)).ToArray();
        string packed;
        if (members.Any(_weights.Factorized.ContainsKey))
        {
            var outputs = group.Members.Select((p, i) => _weights.Factorized.TryGetValue(members[i], out var factors)
                ? FactorizedLinear(input, factors, outFeatures[i], site.InFeatures, p)
                : WithBias(_blocks.Linear(input, TransposedWeight(members[i] + TransposedSuffix, [members[i]], site.InFeatures), p),
                    N.ProjectionBias(layer, p), [p], layer, p)).ToArray();
            if (_extensions.Count == 0) return outputs;
            packed = outputs.Length == 1 ? outputs[0] : _g.Concat(outputs, -1, group.Name);
        }
        else
        {
            string weightName = group.Members.Count == 1 ? members[0] : $"{site.Module}.weight";
            string biasName = group.Members.Count == 1 ? N.ProjectionBias(layer, group.Members[0]) : $"{site.Module}.bias";
            string linear = _quantized is not null
                ? _quantized.Linear(_g, input, weightName, members.Select(m => (m, _weights[m])).ToArray(), site.InFeatures, group.Name)
                : _blocks.Linear(input, TransposedWeight(weightName + TransposedSuffix, members, site.InFeatures), group.Name);
            packed = WithBias(linear, biasName, group.Members, layer, group.Name);
        }
        foreach (var e in _extensions) packed = e.OnProjection(_context, site, input, packed);
        if (group.Members.Count == 1 || keepPacked) return [packed];
        return _g.Op("Split", [packed, _g.Int64s(outFeatures.Select(o => (long)o).ToArray())], outFeatures.Length,
            group.Name + "_split", OnnxAttribute.Int("axis", -1));
    }

    /// <summary>
    /// y + b for the members' biases packed in member order (<paramref name="name"/> is the
    /// initializer); y itself when no member has one. A member without a bias in a group that
    /// has some contributes zeros (no family mixes them today).
    /// </summary>
    string WithBias(string y, string name, IReadOnlyList<string> projections, int layer, string hint)
    {
        if (!projections.Any(p => LlamaWeights.HasBias(_c, p))) return y;
        var parts = projections.Select(p => LlamaWeights.HasBias(_c, p)
            ? _weights[N.ProjectionBias(layer, p)].Data
            : new float[N.ProjectionShape(_c, p).Out]).ToArray();
        float[] packed = parts.SelectMany(b => b).ToArray();
        return _g.Add(y, _g.AddWeight(name, [packed.Length], packed), hint + "_bias");
    }

    /// <summary>The [in, Σout] initializer of canonical [out, in] weights: each transposed, side by side.</summary>
    string TransposedWeight(string name, IReadOnlyList<string> canonical, int inFeatures)
    {
        int totalOut = canonical.Sum(n => _weights[n].Shape[0]);
        var packed = new float[(long)inFeatures * totalOut];
        int column = 0;
        foreach (string n in canonical)
        {
            int outFeatures = _weights[n].Shape[0];
            float[] transposed = Transpose(_weights[n].Data, outFeatures, inFeatures);
            for (int r = 0; r < inFeatures; r++)
                Array.Copy(transposed, (long)r * outFeatures, packed, (long)r * totalOut + column, outFeatures);
            column += outFeatures;
        }
        return _g.AddWeight(name, [inFeatures, totalOut], packed);
    }

    string FactorizedLinear(string input, FactorizedProjection f, int outFeatures, int inFeatures, string hint)
    {
        int rank = f.Rank;
        string v = _g.AddWeight(FactorizedProjection.VName(f.Layer, f.Projection) + TransposedSuffix, [inFeatures, rank], Transpose(f.V.Data, rank, inFeatures));
        string u = _g.AddWeight(FactorizedProjection.UName(f.Layer, f.Projection) + TransposedSuffix, [rank, outFeatures], Transpose(f.U.Data, outFeatures, rank));
        string y = _blocks.Linear(_blocks.Linear(input, v, hint + "_v"), u, hint + "_u");
        return f.Bias is { } bias ? _g.Add(y, _g.AddWeight(FactorizedProjection.BiasName(f.Layer, f.Projection), [outFeatures], bias.Data), hint + "_bias") : y;
    }

    string Weight(string name) => _g.AddWeight(name, _weights[name].Shape, _weights[name].Data);

    void AddStandardInputs()
    {
        const string batch = LlamaGraphContext.BatchDim, seq = LlamaGraphContext.SequenceDim;
        _g.AddInput(DecoderIoNames.InputIds, DataType.Int64, batch, seq);
        _g.AddInput(DecoderIoNames.AttentionMask, DataType.Int64, batch, LlamaGraphContext.TotalSequenceDim);
        _g.AddInput(DecoderIoNames.PositionIds, DataType.Int64, batch, seq);
        for (int l = 0; l < _c.NumLayers; l++)
        {
            _g.AddInput(DecoderIoNames.PastKey(l), DataType.Float, batch, _c.NumKvHeads, LlamaGraphContext.PastSequenceDim, _c.HeadSize);
            _g.AddInput(DecoderIoNames.PastValue(l), DataType.Float, batch, _c.NumKvHeads, LlamaGraphContext.PastSequenceDim, _c.HeadSize);
        }
    }

    void AddStandardOutputs()
    {
        const string batch = LlamaGraphContext.BatchDim, total = LlamaGraphContext.TotalSequenceDim;
        _g.AddOutput(DecoderIoNames.Logits, DecoderIoNames.Logits, DataType.Float, batch, LlamaGraphContext.SequenceDim, _c.VocabSize);
        for (int l = 0; l < _c.NumLayers; l++)
        {
            _g.AddOutput(DecoderIoNames.PresentKey(l), DecoderIoNames.PresentKey(l), DataType.Float, batch, _c.NumKvHeads, total, _c.HeadSize);
            _g.AddOutput(DecoderIoNames.PresentValue(l), DecoderIoNames.PresentValue(l), DataType.Float, batch, _c.NumKvHeads, total, _c.HeadSize);
        }
    }

    /// <summary>[rows, cols] → [cols, rows], in cache-friendly tiles.</summary>
    static float[] Transpose(float[] source, int rows, int cols)
    {
        const int tile = 32;
        var result = new float[source.Length];
        for (int r0 = 0; r0 < rows; r0 += tile)
            for (int c0 = 0; c0 < cols; c0 += tile)
                for (int r = r0; r < Math.Min(r0 + tile, rows); r++)
                    for (int c = c0; c < Math.Min(c0 + tile, cols); c++)
                        result[(long)c * rows + r] = source[(long)r * cols + c];
        return result;
    }
}
