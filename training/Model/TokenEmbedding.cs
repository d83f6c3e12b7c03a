using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>Token id → embedding row lookup; ids [batch, seq] int64 → [batch, seq, dim].</summary>
public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field name is the HF key suffix
    Parameter weight; // [vocab, dim]
#pragma warning restore IDE1006

    /// <summary>Takes ownership of <paramref name="weight"/>.</summary>
    public TokenEmbedding(Parameter weight) : base(nameof(TokenEmbedding))
    {
        this.weight = weight;
        RegisterComponents();
    }

    /// <summary>The embedding table [vocab, dim]; also the classifier when it is shared.</summary>
    public Parameter Weight => weight;

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        long batch = inputIds.shape[0], seq = inputIds.shape[1];
        // gather one row per token, then restore the [batch, seq] layout
        var rows = weight.index_select(0, inputIds.reshape(-1));
        return rows.reshape(batch, seq, weight.shape[1]).MoveToOuterDisposeScope();
    }
}
