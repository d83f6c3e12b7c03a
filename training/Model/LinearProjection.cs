using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// A bias-free linear layer y = x Wᵀ, the form of every LLaMA projection. Adapters (LoRA and
/// friends) wrap or replace instances of this type through <see cref="Attention.SetProjection"/>
/// and <see cref="FeedForward.SetProjection"/>; the parameter is named "weight" so the module
/// path plus ".weight" is the Hugging Face key.
/// </summary>
public sealed class LinearProjection : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names: TorchSharp registers fields under their names, which must match HF keys
    Parameter weight; // [out_features, in_features]
#pragma warning restore IDE1006

    /// <summary>Takes ownership of <paramref name="weight"/>.</summary>
    public LinearProjection(Parameter weight) : base(nameof(LinearProjection))
    {
        if (weight.dim() != 2) throw new ArgumentException($"a projection weight must be 2-D [out, in], got {weight.dim()}-D");
        this.weight = weight;
        RegisterComponents();
    }

    /// <summary>The current weight [out_features, in_features].</summary>
    public Parameter Weight => weight;

    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight);
}
