using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>
/// The shape of an adapter wrapper (as LoRA will be): holds the projection it replaces as
/// "base_layer" and adds something to its output, here a constant.
/// </summary>
sealed class ShiftedProjection : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PEFT's name for the wrapped layer
    readonly nn.Module<Tensor, Tensor> base_layer;
#pragma warning restore IDE1006
    readonly double _shift;

    public ShiftedProjection(nn.Module<Tensor, Tensor> baseLayer, double shift) : base(nameof(ShiftedProjection))
    {
        base_layer = baseLayer;
        _shift = shift;
        RegisterComponents();
    }

    public nn.Module<Tensor, Tensor> BaseLayer => base_layer;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (base_layer.call(x) + _shift).MoveToOuterDisposeScope();
    }
}
