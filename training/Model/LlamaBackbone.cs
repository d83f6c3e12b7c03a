using Adapters.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// The decoder stack without the classifier, the module Hugging Face calls "model": token
/// embedding, the layers and the final norm. Returns final-normalised hidden states.
/// </summary>
public sealed class LlamaBackbone : nn.Module
{
#pragma warning disable IDE1006 // field names are HF module names (model.embed_tokens, model.layers, model.norm)
    readonly TokenEmbedding embed_tokens;          // weight [vocab, dim]
    readonly ModuleList<TransformerBlock> layers;  // n_layers blocks, registered as "0", "1", ...
    readonly RmsNorm norm;                         // weight [dim]
#pragma warning restore IDE1006
    readonly TransformerBlock[] _blocks; // the same blocks, as a read-only view (an array is not registered)

    /// <summary>Takes ownership of the modules.</summary>
    public LlamaBackbone(TokenEmbedding embedding, IEnumerable<TransformerBlock> blocks, RmsNorm finalNorm) : base(nameof(LlamaBackbone))
    {
        embed_tokens = embedding;
        _blocks = blocks.ToArray();
        layers = new ModuleList<TransformerBlock>(_blocks);
        norm = finalNorm;
        RegisterComponents();
    }

    public TokenEmbedding Embedding => embed_tokens;
    public IReadOnlyList<TransformerBlock> Layers => _blocks;
    public RmsNorm FinalNorm => norm;

    /// <param name="inputIds">Token ids [batch, seq] int64; the first column is at absolute position startPos.</param>
    /// <param name="cache">The request's cache, or null for a cache-free full-sequence pass (startPos 0).</param>
    /// <returns>Final-normalised hidden states [batch, seq, dim].</returns>
    public Tensor forward(Tensor inputIds, int startPos, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long seq = inputIds.shape[1];

        // 1. token embeddings [batch, seq, dim]
        var h = embed_tokens.call(inputIds);

        // 2. causal mask over the keys 0..startPos+seq-1; a single new token may see every key
        var mask = seq > 1 ? CausalMask(seq, startPos, h.dtype, h.device) : null;

        // 3. the decoder layers, each reading and writing the residual stream
        for (int l = 0; l < _blocks.Length; l++)
            h = _blocks[l].forward(h, startPos, mask, cache?[l]);

        // 4. final norm
        return norm.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Additive mask [seq, startPos + seq]: query i (at position startPos + i) may see key j iff
    /// j ≤ startPos + i; hidden entries are −∞ so softmax gives them zero weight.
    /// </summary>
    static Tensor CausalMask(long seq, int startPos, ScalarType dtype, Device device) =>
        full([seq, startPos + seq], KeptScalars.NegativeInfinity, dtype, device).triu(startPos + 1);
}
