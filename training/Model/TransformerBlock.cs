using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// One pre-norm decoder layer: x + attention(norm(x)), then h + ffn(norm(h)), then an optional
/// intervention on the residual-stream output (<see cref="ResidualHook"/>).
/// </summary>
public sealed class TransformerBlock : nn.Module
{
#pragma warning disable IDE1006 // field names are HF module names (model.layers.N.self_attn ...)
    readonly RmsNorm input_layernorm;          // weight [dim]
    readonly Attention self_attn;
    readonly RmsNorm post_attention_layernorm; // weight [dim]
    readonly FeedForward mlp;
#pragma warning restore IDE1006

    /// <summary>Takes ownership of the modules.</summary>
    public TransformerBlock(int layerIndex, RmsNorm attentionNorm, Attention attention, RmsNorm ffnNorm, FeedForward feedForward)
        : base(nameof(TransformerBlock))
    {
        LayerIndex = layerIndex;
        input_layernorm = attentionNorm;
        self_attn = attention;
        post_attention_layernorm = ffnNorm;
        mlp = feedForward;
        RegisterComponents();
    }

    public int LayerIndex { get; }
    public RmsNorm AttentionNorm => input_layernorm;
    public Attention SelfAttention => self_attn;
    public RmsNorm FfnNorm => post_attention_layernorm;
    public FeedForward Mlp => mlp;

    /// <summary>Optional intervention applied to this layer's output (null: none).</summary>
    public ResidualStreamHook? ResidualHook { get; set; }

    /// <param name="x">Residual stream [batch, seq, dim]; its first row is at absolute position startPos.</param>
    /// <param name="mask">Additive causal mask [seq, keys], or null when every key is visible.</param>
    /// <param name="cache">This layer's cache, or null for a cache-free full-sequence pass.</param>
    /// <returns>[batch, seq, dim]</returns>
    public Tensor forward(Tensor x, int startPos, Tensor? mask, LayerKvCache? cache)
    {
        using var scope = NewDisposeScope();
        // 1. attention on the normalised stream, added back to the residual
        var h = KeptScalars.Plus(x, self_attn.forward(input_layernorm.call(x), startPos, mask, cache));
        // 2. feed-forward on the normalised stream, added back to the residual
        var output = KeptScalars.Plus(h, mlp.call(post_attention_layernorm.call(h)));
        // 3. intervention on this layer's residual-stream output
        if (ResidualHook is { } hook) output = hook(output, startPos);
        return output.MoveToOuterDisposeScope();
    }
}
