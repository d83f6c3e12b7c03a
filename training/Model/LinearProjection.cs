using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// A linear layer y = x Wᵀ (+ b), the form of every LLaMA-family projection: no bias in LLaMA,
/// a bias on q/k/v in Qwen2 (and on q/k/v/o with attention_bias). Adapters (LoRA and friends)
/// wrap or replace instances of this type through <see cref="Attention.SetProjection"/> and
/// <see cref="FeedForward.SetProjection"/>, so the bias stays part of the frozen base W x + b and
/// is never an adapter parameter. Parameters are named "weight" and "bias" so the module path
/// plus the name is the Hugging Face key.
/// </summary>
public sealed class LinearProjection : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names: TorchSharp registers fields under their names, which must match HF keys
    Parameter weight;  // [out_features, in_features]
    Parameter? bias;   // [out_features] or none
#pragma warning restore IDE1006

    /// <summary>Takes ownership of <paramref name="weight"/> and <paramref name="bias"/>.</summary>
    public LinearProjection(Parameter weight, Parameter? bias = null) : base(nameof(LinearProjection))
    {
        if (weight.dim() != 2) throw new ArgumentException($"a projection weight must be 2-D [out, in], got {weight.dim()}-D");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != weight.shape[0]))
            throw new ArgumentException($"a projection bias must be [{weight.shape[0]}], got [{string.Join(", ", bias.shape)}]");
        this.weight = weight;
        this.bias = bias;
        RegisterComponents();
    }

    /// <summary>The current weight [out_features, in_features].</summary>
    public Parameter Weight => weight;

    /// <summary>The bias [out_features], or null for a bias-free projection.</summary>
    public Parameter? Bias => bias;

    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight, bias);
}
