using Adapters.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// Multi-head causal self-attention with rotary positions and grouped-query attention
/// (n_kv_heads may divide n_heads: each key/value head serves KvGroupSize query heads). Heads are
/// head_dim wide, which need not be dim / n_heads (Qwen3: q_proj [n_heads · head_dim, dim]);
/// Qwen3 normalises each query and key head (RMSNorm over head_dim) before the rotary step.
/// The four projections are swappable modules so adapters can wrap them (<see cref="SetProjection"/>).
/// </summary>
public sealed class Attention : nn.Module
{
#pragma warning disable IDE1006 // field names are HF module names (model.layers.N.self_attn.q_proj ...)
    nn.Module<Tensor, Tensor> q_proj; // [q_dim, dim] (+ bias [q_dim])
    nn.Module<Tensor, Tensor> k_proj; // [kv_dim, dim] (+ bias [kv_dim])
    nn.Module<Tensor, Tensor> v_proj; // [kv_dim, dim] (+ bias [kv_dim])
    nn.Module<Tensor, Tensor> o_proj; // [dim, q_dim] (+ bias [dim])
    readonly RmsNorm? q_norm;         // weight [head_dim]; Qwen3 only
    readonly RmsNorm? k_norm;         // weight [head_dim]; Qwen3 only
#pragma warning restore IDE1006
    readonly Dictionary<string, LinearProjection> _baseProjections;
    readonly RotaryEmbedding _rotary; // borrowed from the model; not a registered module
    readonly int _numHeads, _numKvHeads, _headSize;

    /// <summary>
    /// Takes ownership of the projections and norms; borrows <paramref name="rotary"/>, which must outlive this module.
    /// <paramref name="queryNorm"/> and <paramref name="keyNorm"/> are given exactly when the config has qk_norm.
    /// </summary>
    public Attention(LlamaConfig config, LinearProjection wq, LinearProjection wk, LinearProjection wv, LinearProjection wo, RotaryEmbedding rotary,
        RmsNorm? queryNorm = null, RmsNorm? keyNorm = null)
        : base(nameof(Attention))
    {
        if (config.QkNorm != (queryNorm is not null) || config.QkNorm != (keyNorm is not null))
            throw new ArgumentException($"qk_norm is {config.QkNorm}: q_norm and k_norm must be given {(config.QkNorm ? "both" : "neither")}");
        q_proj = wq;
        k_proj = wk;
        v_proj = wv;
        o_proj = wo;
        q_norm = queryNorm;
        k_norm = keyNorm;
        _baseProjections = new() { ["q_proj"] = wq, ["k_proj"] = wk, ["v_proj"] = wv, ["o_proj"] = wo };
        _rotary = rotary;
        _numHeads = config.NumHeads;
        _numKvHeads = config.NumKvHeads;
        _headSize = config.HeadSize;
        RegisterComponents();
    }

    /// <summary>Qwen3's per-head query norm (null without qk_norm).</summary>
    public RmsNorm? QueryNorm => q_norm;

    /// <summary>Qwen3's per-head key norm (null without qk_norm).</summary>
    public RmsNorm? KeyNorm => k_norm;

    /// <summary>The module currently computing a projection (the base one, or an adapter around it).</summary>
    public nn.Module<Tensor, Tensor> GetProjection(string projection) => projection switch
    {
        "q_proj" => q_proj,
        "k_proj" => k_proj,
        "v_proj" => v_proj,
        "o_proj" => o_proj,
        _ => throw Projections.Unknown(projection),
    };

    /// <summary>The original frozen projection, whatever currently wraps it.</summary>
    public LinearProjection BaseProjection(string projection) =>
        _baseProjections.TryGetValue(projection, out var p) ? p : throw Projections.Unknown(projection);

    /// <summary>
    /// Puts <paramref name="replacement"/> in place of a projection under the same module name and
    /// returns the module it replaced. Takes ownership of the replacement; the base projection stays
    /// owned by this module (it is disposed with it even when a wrapper no longer holds it).
    /// </summary>
    public nn.Module<Tensor, Tensor> SetProjection(string projection, nn.Module<Tensor, Tensor> replacement)
    {
        var previous = GetProjection(projection);
        switch (projection)
        {
            case "q_proj": q_proj = replacement; break;
            case "k_proj": k_proj = replacement; break;
            case "v_proj": v_proj = replacement; break;
            case "o_proj": o_proj = replacement; break;
        }
        // TorchSharp refuses to register a name twice: drop the old registration first.
        register_module(projection, null!);
        register_module(projection, replacement);
        return previous;
    }

    /// <param name="x">Normalised input [batch, seq, dim]; its first row is at absolute position startPos.</param>
    /// <param name="mask">Additive causal mask [seq, keys] or null when every key is visible.</param>
    /// <param name="cache">This layer's cache, or null for a cache-free full-sequence pass.</param>
    /// <returns>[batch, seq, dim]</returns>
    public Tensor forward(Tensor x, int startPos, Tensor? mask, LayerKvCache? cache)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], seq = x.shape[1];

        // 1. project to queries, keys and values, split into heads: [batch, seq, heads, head_size]
        var q = q_proj.call(x).reshape(batch, seq, _numHeads, _headSize);
        var k = k_proj.call(x).reshape(batch, seq, _numKvHeads, _headSize);
        var v = v_proj.call(x).reshape(batch, seq, _numKvHeads, _headSize);

        // 2. Qwen3: RMSNorm of each query and key head over head_size
        if (q_norm is not null) q = q_norm.call(q);
        if (k_norm is not null) k = k_norm.call(k);

        // 3. rotate queries and keys by their absolute positions
        q = _rotary.Apply(q, startPos);
        k = _rotary.Apply(k, startPos);

        // 4. heads first: [batch, heads, seq, head_size]
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        v = v.transpose(1, 2);

        // 5. append to the cache and attend over every position so far
        if (cache is not null) (k, v) = cache.Append(k, v, startPos);

        // 6. grouped-query attention: each key/value head serves a group of adjacent query heads
        int groupSize = _numHeads / _numKvHeads;
        if (groupSize > 1)
        {
            k = k.repeat_interleave(groupSize, dim: 1);
            v = v.repeat_interleave(groupSize, dim: 1);
        }

        // 7. scaled dot-product scores [batch, heads, seq, keys], causal mask, softmax over keys
        var scores = matmul(q, k.transpose(2, 3)).div(KeptScalars.Of(Math.Sqrt(_headSize)));
        if (mask is not null) scores = KeptScalars.Plus(scores, mask);
        var weights = nn.functional.softmax(scores, dim: -1);

        // 8. weighted sum of values, heads merged back: [batch, seq, q_dim]
        var attended = matmul(weights, v).transpose(1, 2).reshape(batch, seq, _numHeads * _headSize);

        // 9. output projection
        return o_proj.call(attended).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            foreach (var p in _baseProjections.Values) p.Dispose();
    }
}
