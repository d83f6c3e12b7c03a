using Adapters.Core.Exported;
using Adapters.Core.Model;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Adapters.Export.Onnx;

/// <summary>
/// The LLaMA building blocks as ONNX subgraphs, written once and shared by the base decoder and
/// every adapter variant. Standard ONNX ops only (no contrib ops), so any ONNX Runtime build and
/// ONNX Runtime GenAI can run the result. Shapes: B batch, S new tokens, T = past + S cached
/// tokens, H query heads, KV key/value heads, G = H / KV, hs head size.
/// </summary>
public sealed class LlamaBlocks
{
    /// <summary>Masked attention scores are replaced by the lowest float, not −∞, so a fully masked row (a padding query) gives a uniform softmax instead of NaN.</summary>
    const float MaskedScore = float.MinValue;

    readonly OnnxGraphBuilder _g;
    readonly LlamaConfig _c;

    public LlamaBlocks(OnnxGraphBuilder graph, LlamaConfig config)
    {
        _g = graph;
        _c = config.Validate();
    }

    /// <summary>
    /// RMSNorm: x / sqrt(mean(x²) + eps) · gain, over the last axis. Spelled Pow, ReduceMean,
    /// Add, Sqrt, Div, Mul: the pattern ONNX Runtime fuses into SimplifiedLayerNormalization.
    /// </summary>
    public string RmsNorm(string x, string gain)
    {
        using var _ = _g.PushScope("rms_norm");
        string meanSquare = _g.ReduceMean(_g.Pow(x, _g.FloatScalar(2f)), [-1], keepDims: true, "mean_square");
        string rms = _g.Sqrt(_g.Add(meanSquare, _g.FloatScalar(_c.NormEps)), "rms");
        return _g.Mul(_g.Div(x, rms, "normalized"), gain, "scaled");
    }

    /// <summary>x·Wᵀ for a weight stored transposed as [in, out] (ONNX Runtime prepacks a constant MatMul operand).</summary>
    public string Linear(string x, string weightInOut, string? hint = null) => _g.MatMul(x, weightInOut, hint);

    /// <summary>
    /// Adds the rotary tables as initializers and gathers the rows of <paramref name="positionIds"/>
    /// [B, S]: cos and signed sin, each [B, S, 1, hs], ready to broadcast over heads.
    /// Row p, columns 2i and 2i+1 hold cos(p·ω_i), with ω_i the model's (possibly scaled) inverse
    /// frequencies from <see cref="RotaryFrequencies"/>; the sin table holds −sin at 2i and +sin at
    /// 2i+1, so that rotating the adjacent pair (a, b) = (x[2i], x[2i+1]) is x·cos + swap(x)·sin.
    /// </summary>
    public (string Cos, string Sin) RotaryTables(string positionIds, string cosTableName = "rope.cos", string sinTableName = "rope.sin")
    {
        int hs = _c.HeadSize, half = hs / 2, rows = _c.MaxSeqLen;
        var (pairCos, pairSin) = RotaryFrequencies.Tables(_c, rows);   // [rows, hs/2]
        var cos = new float[rows * hs];
        var sin = new float[rows * hs];
        for (int p = 0; p < rows; p++)
            for (int i = 0; i < half; i++)
            {
                float c = pairCos[p * half + i], s = pairSin[p * half + i];
                cos[p * hs + 2 * i] = cos[p * hs + 2 * i + 1] = c;
                sin[p * hs + 2 * i] = -s;
                sin[p * hs + 2 * i + 1] = s;
            }
        _g.AddWeight(cosTableName, [rows, hs], cos);
        _g.AddWeight(sinTableName, [rows, hs], sin);
        using var _ = _g.PushScope("rotary");
        string cosRows = _g.Unsqueeze(_g.Gather(cosTableName, positionIds, 0, "cos_rows"), [2], "cos");
        string sinRows = _g.Unsqueeze(_g.Gather(sinTableName, positionIds, 0, "sin_rows"), [2], "sin");
        return (cosRows, sinRows);
    }

    /// <summary>
    /// Rotates adjacent pairs (2i, 2i+1) inside each head of x [B, S, heads, hs]:
    /// (a, b) ↦ (a·cos − b·sin, a·sin + b·cos), written as x·cos + swap_pairs(x)·sin_signed.
    /// </summary>
    public string ApplyRotary(string x, (string Cos, string Sin) rotary)
    {
        using var _ = _g.PushScope("rotary_apply");
        int hs = _c.HeadSize;
        string pairs = _g.Reshape(x, [0, 0, 0, hs / 2, 2], "pairs");                      // [B, S, heads, hs/2, 2]
        string swapped = _g.Gather(pairs, _g.Int64s(1, 0), axis: 4, hint: "swapped");      // (b, a)
        string swappedFlat = _g.Reshape(swapped, [0, 0, 0, hs], "swapped_flat");           // [B, S, heads, hs]
        return _g.Add(_g.Mul(x, rotary.Cos, "x_cos"), _g.Mul(swappedFlat, rotary.Sin, "swapped_sin"), "rotated");
    }

    /// <summary>
    /// Which keys each query may attend, [B, 1, 1, S, T] bool: key j is visible to query i when
    /// j ≤ (T − S) + i (causal, in cache order) and attention_mask[b, j] is 1 (not padding).
    /// Built once per graph and shared by all layers.
    /// </summary>
    public string AttentionAllowed(string inputIds, string attentionMask)
    {
        using var _ = _g.PushScope("mask");
        string seq = _g.Squeeze(_g.ShapeSlice(inputIds, 1, 2, "seq_1d"), [0], "seq");
        string total = _g.Squeeze(_g.ShapeSlice(attentionMask, 1, 2, "total_1d"), [0], "total");
        string one = _g.Int64Scalar(1);
        string keyIndex = _g.Op("Range", [_g.Int64Scalar(0), total, one], "key_index");                     // [T]
        string queryIndex = _g.Op("Range", [_g.Sub(total, seq, "past"), total, one], "query_index");       // [S]
        string causal = _g.Op("LessOrEqual", [_g.Unsqueeze(keyIndex, [0], "key_row"), _g.Unsqueeze(queryIndex, [1], "query_column")], "causal"); // [S, T]
        string notPadding = _g.Unsqueeze(_g.Cast(attentionMask, DataType.Bool, "mask_bool"), [1], "not_padding");                               // [B, 1, T]
        string allowed = _g.Op("And", [causal, notPadding], "allowed");                                                                          // [B, S, T]
        return _g.Unsqueeze(allowed, [1, 2], "allowed_5d");                                                                                      // [B, 1, 1, S, T]
    }

    /// <summary>
    /// Grouped-query attention with a Concat-grown KV cache. q [B, S, H·hs], k and v [B, S, KV·hs]
    /// (projected, not yet rotated); past caches [B, KV, P, hs]. Writes the present caches
    /// [B, KV, P + S, hs] under the exact names given and returns the attention output
    /// [B, S, H·hs] (before o_proj; H·hs may differ from dim, as in Qwen3). Queries are grouped as
    /// [B, KV, G, S, hs] so MatMul broadcasting shares each key/value head with its G query heads,
    /// with no copy of the cache. With <paramref name="qkNorm"/> (Qwen3) every head of q and k is
    /// RMS-normalised with its gain [hs] before the rotary step.
    /// </summary>
    public string Attention(string q, string k, string v, (string Cos, string Sin) rotary, string allowed,
        string pastKey, string pastValue, string presentKeyName, string presentValueName, (string Q, string K)? qkNorm = null,
        (string Cos, string Sin)? fusedRotaryCaches = null)
    {
        int h = _c.NumHeads, kv = _c.NumKvHeads, g = _c.KvGroupSize, hs = _c.HeadSize;
        string qRot, kRot;
        if (fusedRotaryCaches is { } caches)
        {
            // com.microsoft RotaryEmbedding rotates [B, S, heads·hs] in one node per input.
            if (qkNorm is { } norm) (q, k) = NormalizeHeads(q, k, norm);
            qRot = _g.Reshape(RotaryEmbedding(q, h, caches, "q_rotated"), [0, 0, h, hs], "q_heads");
            kRot = _g.Reshape(RotaryEmbedding(k, kv, caches, "k_rotated"), [0, 0, kv, hs], "k_heads");
        }
        else
        {
            string qHeads = _g.Reshape(q, [0, 0, h, hs], "q_heads");                             // [B, S, H, hs]
            string kHeads = _g.Reshape(k, [0, 0, kv, hs], "k_heads");                            // [B, S, KV, hs]
            if (qkNorm is { } norm)
            {
                using (_g.PushScope("q_norm")) qHeads = RmsNorm(qHeads, norm.Q);
                using (_g.PushScope("k_norm")) kHeads = RmsNorm(kHeads, norm.K);
            }
            qRot = ApplyRotary(qHeads, rotary);
            kRot = ApplyRotary(kHeads, rotary);
        }
        string vHeads = _g.Reshape(v, [0, 0, kv, hs], "v_heads");

        // KV cache: append the new keys/values after the past ones, on the sequence axis.
        string kNew = _g.Transpose(kRot, [0, 2, 1, 3], "k_new");                             // [B, KV, S, hs]
        string vNew = _g.Transpose(vHeads, [0, 2, 1, 3], "v_new");
        string presentKey = _g.OpNamed("Concat", [pastKey, kNew], presentKeyName, OnnxAttribute.Int("axis", 2));
        string presentValue = _g.OpNamed("Concat", [pastValue, vNew], presentValueName, OnnxAttribute.Int("axis", 2));

        // scores = q·kᵀ / sqrt(hs), per key/value group.
        string qGroups = _g.Transpose(_g.Reshape(qRot, [0, 0, kv, g, hs], "q_grouped"), [0, 2, 3, 1, 4], "q_groups"); // [B, KV, G, S, hs]
        string qScaled = _g.Mul(qGroups, _g.FloatScalar((float)(1.0 / Math.Sqrt(hs))), "q_scaled");
        string keysT = _g.Unsqueeze(_g.Transpose(presentKey, [0, 1, 3, 2], "keys_t"), [2], "keys_t_grouped");     // [B, KV, 1, hs, T]
        string scores = _g.MatMul(qScaled, keysT, "scores");                                                    // [B, KV, G, S, T]

        // softmax over visible keys, then the weighted sum of values.
        string masked = _g.Where(allowed, scores, _g.FloatScalar(MaskedScore), "scores_masked");
        string probs = _g.Softmax(masked, -1, "probs");
        string values = _g.Unsqueeze(presentValue, [2], "values_grouped");                                     // [B, KV, 1, T, hs]
        string context = _g.MatMul(probs, values, "context");                                                  // [B, KV, G, S, hs]
        string contextBySeq = _g.Transpose(context, [0, 3, 1, 2, 4], "context_by_seq");                         // [B, S, KV, G, hs]
        return _g.Reshape(contextBySeq, [0, 0, h * hs], "context_flat");                                       // [B, S, H·hs]
    }

    /// <summary>
    /// What ONNX Runtime's GroupQueryAttention reads instead of a mask, from attention_mask
    /// [B, T] (int64, no padding inside a row): seqlens_k [B] = tokens per row − 1 and the total
    /// length T, both int32. Built once per graph and shared by all layers.
    /// </summary>
    public (string SeqlensK, string TotalLength) GroupQueryAttentionLengths(string attentionMask)
    {
        using var _ = _g.PushScope("gqa_lengths");
        string tokens = _g.Op("ReduceSum", [attentionMask, _g.Int64s(1)], "row_tokens", OnnxAttribute.Int("keepdims", 0));   // [B]
        string seqlens = _g.Cast(_g.Sub(tokens, _g.Int64Scalar(1), "last_index"), DataType.Int32, "seqlens_k");
        string total = _g.Cast(_g.Squeeze(_g.ShapeSlice(attentionMask, 1, 2, "total_1d"), [0], "total"), DataType.Int32, "total_length");
        return (seqlens, total);
    }

    /// <summary>
    /// GroupQueryAttention's rotary caches as initializers: cos and sin of position · ω_i,
    /// [max_seq_len, hs/2], one column per adjacent pair (the op's rotary_interleaved layout).
    /// </summary>
    public (string Cos, string Sin) RotaryCaches()
    {
        var (cos, sin) = RotaryFrequencies.Tables(_c, _c.MaxSeqLen);
        return (_g.AddWeight("rope.cos_cache", [_c.MaxSeqLen, _c.HeadSize / 2], cos),
                _g.AddWeight("rope.sin_cache", [_c.MaxSeqLen, _c.HeadSize / 2], sin));
    }

    /// <summary>
    /// <see cref="Attention"/> as one com.microsoft GroupQueryAttention node: rotary inside the op
    /// (adjacent pairs, positions from seqlens_k), causal softmax over each row's first
    /// seqlens_k + 1 cached slots, grouped heads. The caches are [B, KV, P, hs]; when the caller
    /// binds one buffer as both past and present (past_present_share_buffer), P is the buffer's
    /// capacity and the op writes the new slots in place, else the present is past + S long.
    /// Qwen3's q/k norms stay outside the op (ONNX Runtime's CPU kernel does not take them).
    /// Without <paramref name="k"/> and <paramref name="v"/>, <paramref name="q"/> is q|k|v packed
    /// [B, S, (H + 2·KV)·hs], which the op splits itself.
    /// </summary>
    public string GroupQueryAttention(string q, string? k, string? v, (string Cos, string Sin) caches, (string SeqlensK, string TotalLength) lengths,
        string pastKey, string pastValue, string presentKeyName, string presentValueName, (string Q, string K)? qkNorm = null)
    {
        int h = _c.NumHeads, kv = _c.NumKvHeads, hs = _c.HeadSize;
        if ((k is null) != (v is null)) throw new ArgumentException("GroupQueryAttention takes k and v both, or neither (q packed)");
        if (qkNorm is { } norm)
        {
            if (k is null) throw new ArgumentException("q/k norms need q and k apart, not packed");
            (q, k) = NormalizeHeads(q, k, norm);
        }
        return _g.MicrosoftOp("GroupQueryAttention", [q, k ?? "", v ?? "", pastKey, pastValue, lengths.SeqlensK, lengths.TotalLength, caches.Cos, caches.Sin],
            [null, presentKeyName, presentValueName], "context",
            OnnxAttribute.Int("num_heads", h), OnnxAttribute.Int("kv_num_heads", kv),
            OnnxAttribute.Int("do_rotary", 1), OnnxAttribute.Int("rotary_interleaved", 1))[0];
    }

    /// <summary>Qwen3's per-head RMSNorm of q [B, S, H·hs] and k [B, S, KV·hs], returned in the same 3-D shape.</summary>
    (string Q, string K) NormalizeHeads(string q, string k, (string Q, string K) norm)
    {
        int h = _c.NumHeads, kv = _c.NumKvHeads, hs = _c.HeadSize;
        string qNormed, kNormed;
        using (_g.PushScope("q_norm")) qNormed = _g.Reshape(RmsNorm(_g.Reshape(q, [0, 0, h, hs], "q_heads"), norm.Q), [0, 0, h * hs], "q_normed");
        using (_g.PushScope("k_norm")) kNormed = _g.Reshape(RmsNorm(_g.Reshape(k, [0, 0, kv, hs], "k_heads"), norm.K), [0, 0, kv * hs], "k_normed");
        return (qNormed, kNormed);
    }

    /// <summary>com.microsoft RotaryEmbedding of x [B, S, heads·hs] at position_ids: adjacent pairs (interleaved), the model's cos/sin caches.</summary>
    string RotaryEmbedding(string x, int heads, (string Cos, string Sin) caches, string hint) =>
        _g.MicrosoftOp("RotaryEmbedding", [x, DecoderIoNames.PositionIds, caches.Cos, caches.Sin], hint, null,
            OnnxAttribute.Int("interleaved", 1), OnnxAttribute.Int("num_heads", heads), OnnxAttribute.Int("rotary_embedding_dim", _c.HeadSize));

    /// <summary>
    /// x + delta and RMSNorm of that sum as one com.microsoft SkipSimplifiedLayerNormalization:
    /// returns the normalised value and the sum (the residual stream the next add builds on).
    /// </summary>
    public (string Normed, string Sum) SkipRmsNorm(string x, string delta, string gain)
    {
        using var _ = _g.PushScope("skip_rms_norm");
        var outputs = _g.MicrosoftOp("SkipSimplifiedLayerNormalization", [x, delta, gain], [null, "", "", null], "scaled",
            OnnxAttribute.Float("epsilon", _c.NormEps));
        return (outputs[0], outputs[3]);
    }

    /// <summary>SwiGLU's gate: silu(gate) · up, with silu(x) = x·sigmoid(x) (ONNX Runtime fuses it).</summary>
    public string SwiGlu(string gate, string up)
    {
        using var _ = _g.PushScope("swiglu");
        string silu = _g.Mul(gate, _g.Sigmoid(gate, "gate_sigmoid"), "silu");
        return _g.Mul(silu, up, "gated");
    }

    /// <summary>
    /// Logits [B, S, vocab] from the final hidden state [B, S, dim] and a classifier stored
    /// [vocab, dim] (possibly the token embedding itself): Gemm with transB reads the weight in
    /// place, so a tied classifier is stored once. Writes the exact output name given.
    /// </summary>
    public string Classifier(string hidden, string classifierVocabByDim, string inputIds, string outputName)
    {
        using var _ = _g.PushScope("classifier");
        string rows = _g.Reshape(hidden, [-1, _c.Dim], "rows");                                                // [B·S, dim]
        string logitRows = _g.Op("Gemm", [rows, classifierVocabByDim], "logit_rows", OnnxAttribute.Int("transB", 1)); // [B·S, vocab]
        string shape = _g.Concat([_g.ShapeSlice(inputIds, 0, 2, "batch_seq"), _g.Int64s(_c.VocabSize)], 0, "logits_shape");
        return _g.OpNamed("Reshape", [logitRows, shape], outputName);
    }
}
