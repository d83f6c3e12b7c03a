using Adapters.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// Multi-head causal self-attention with rotary positions and grouped-query attention
/// (n_kv_heads may divide n_heads: each key/value head serves KvGroupSize query heads).
/// The four projections are swappable modules so adapters can wrap them (<see cref="SetProjection"/>).
/// </summary>
public sealed class Attention : nn.Module
{
#pragma warning disable IDE1006 // field names are HF module names (model.layers.N.self_attn.q_proj ...)
    nn.Module<Tensor, Tensor> q_proj; // [dim, dim]
    nn.Module<Tensor, Tensor> k_proj; // [kv_dim, dim]
    nn.Module<Tensor, Tensor> v_proj; // [kv_dim, dim]
    nn.Module<Tensor, Tensor> o_proj; // [dim, dim]
#pragma warning restore IDE1006
    readonly Dictionary<string, LinearProjection> _baseProjections;
    readonly RotaryEmbedding _rotary; // borrowed from the model; not a registered module
    readonly int _numHeads, _numKvHeads, _headSize;

    /// <summary>Takes ownership of the projections; borrows <paramref name="rotary"/>, which must outlive this module.</summary>
    public Attention(LlamaConfig config, LinearProjection wq, LinearProjection wk, LinearProjection wv, LinearProjection wo, RotaryEmbedding rotary)
        : base(nameof(Attention))
    {
        q_proj = wq;
        k_proj = wk;
        v_proj = wv;
        o_proj = wo;
        _baseProjections = new() { ["q_proj"] = wq, ["k_proj"] = wk, ["v_proj"] = wv, ["o_proj"] = wo };
        _rotary = rotary;
        _numHeads = config.NumHeads;
        _numKvHeads = config.NumKvHeads;
        _headSize = config.HeadSize;
        RegisterComponents();
    }

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

        // 2. rotate queries and keys by their absolute positions
        q = _rotary.Apply(q, startPos);
        k = _rotary.Apply(k, startPos);

        // 3. heads first: [batch, heads, seq, head_size]
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        v = v.transpose(1, 2);

        // 4. append to the cache and attend over every position so far
        if (cache is not null) (k, v) = cache.Append(k, v, startPos);

        // 5. grouped-query attention: each key/value head serves a group of adjacent query heads
        int groupSize = _numHeads / _numKvHeads;
        if (groupSize > 1)
        {
            k = k.repeat_interleave(groupSize, dim: 1);
            v = v.repeat_interleave(groupSize, dim: 1);
        }

        // 6. scaled dot-product scores [batch, heads, seq, keys], causal mask, softmax over keys
        var scores = matmul(q, k.transpose(2, 3)) / Math.Sqrt(_headSize);
        if (mask is not null) scores = scores + mask;
        var weights = nn.functional.softmax(scores, dim: -1);

        // 7. weighted sum of values, heads merged back: [batch, seq, dim]
        var attended = matmul(weights, v).transpose(1, 2).reshape(batch, seq, _numHeads * _headSize);

        // 8. output projection
        return o_proj.call(attended).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            foreach (var p in _baseProjections.Values) p.Dispose();
    }
}
