using Adapters.Core.Exported;
using Adapters.Core.Model;
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

    LlamaDecoderGraph(LlamaWeights weights, IReadOnlyList<ILlamaGraphExtension> extensions)
    {
        _weights = weights;
        _c = weights.Config;
        _g = new OnnxGraphBuilder(GraphName);
        _blocks = new LlamaBlocks(_g, _c);
        _context = new LlamaGraphContext(_g, _c, _blocks);
        _extensions = extensions;
    }

    /// <summary>Builds the decoder; weights are referenced (canonical ones) or transposed copies, never modified.</summary>
    public static OnnxModel Build(LlamaWeights weights, IReadOnlyList<ILlamaGraphExtension>? extensions = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = new LlamaDecoderGraph(weights, extensions ?? []);
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

        // shared by all layers: rotary cos/sin rows for position_ids, causal + padding mask
        var rotary = _blocks.RotaryTables(DecoderIoNames.PositionIds);
        string allowed = _blocks.AttentionAllowed(DecoderIoNames.InputIds, DecoderIoNames.AttentionMask);

        for (int l = 0; l < _c.NumLayers; l++)
        {
            using (_g.PushScope($"layers.{l}")) x = Layer(l, x, rotary, allowed);
            foreach (var e in _extensions) x = e.OnResidualStream(_context, l, x);
        }

        // final norm and classifier: logits = rmsnorm(x)·Wclsᵀ          [B, S, vocab]
        string final = _blocks.RmsNorm(x, Weight(N.FinalNorm));
        string classifier = _c.SharedClassifier ? embedding : Weight(N.Classifier);
        _blocks.Classifier(final, classifier, DecoderIoNames.InputIds, DecoderIoNames.Logits);
        AddStandardOutputs();
        foreach (var e in _extensions) e.AddOutputs(_context);
    }

    string Layer(int l, string x, (string Cos, string Sin) rotary, string allowed)
    {
        // attention: x += o_proj(attention(rmsnorm(x)))
        string xb;
        using (_g.PushScope("attn"))
        {
            xb = _blocks.RmsNorm(x, Weight(N.AttentionNorm(l)));
            string q = Projection(l, "q_proj", xb);
            string k = Projection(l, "k_proj", xb);
            string v = Projection(l, "v_proj", xb);
            string context = _blocks.Attention(q, k, v, rotary, allowed,
                DecoderIoNames.PastKey(l), DecoderIoNames.PastValue(l), DecoderIoNames.PresentKey(l), DecoderIoNames.PresentValue(l));
            x = _g.Add(x, Projection(l, "o_proj", context), "residual");
        }

        // feed-forward: x += down_proj(silu(gate_proj(xb)) · up_proj(xb))
        using (_g.PushScope("mlp"))
        {
            xb = _blocks.RmsNorm(x, Weight(N.FfnNorm(l)));
            string gated = _blocks.SwiGlu(Projection(l, "gate_proj", xb), Projection(l, "up_proj", xb));
            x = _g.Add(x, Projection(l, "down_proj", gated), "residual");
        }
        return x;
    }

    /// <summary>
    /// The one place a linear projection is emitted: base x·Wᵀ — or, for a factorised projection
    /// of a compressed checkpoint, (x·Vᵀ)·Uᵀ + b — then every extension's edit.
    /// </summary>
    string Projection(int layer, string projection, string input)
    {
        var (outFeatures, inFeatures) = N.ProjectionShape(_c, projection);
        var site = new ProjectionSite(layer, projection, inFeatures, outFeatures, N.Projection(layer, projection));
        string output = _weights.Factorized.TryGetValue(site.WeightName, out var factors)
            ? FactorizedLinear(input, factors, outFeatures, inFeatures, projection)
            : _blocks.Linear(input, _g.AddWeight(site.WeightName + TransposedSuffix, [inFeatures, outFeatures],
                Transpose(_weights[site.WeightName].Data, outFeatures, inFeatures)), projection);
        foreach (var e in _extensions) output = e.OnProjection(_context, site, input, output);
        return output;
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
