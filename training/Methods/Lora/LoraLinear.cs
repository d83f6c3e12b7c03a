using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Lora;

/// <summary>
/// A projection with a LoRA update: y = W x + (alpha / r) · B (A (dropout(x))), A [r, in],
/// B [out, r]. Borrows the wrapped projection (owned by the model) and A and B (owned by the
/// <see cref="LoraMethod"/>); none of them is registered here, so disposing the wrapper releases
/// only its own handle and the model's named parameters stay exactly the base weights.
/// </summary>
sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    // Held through a plain object: TorchSharp registers (and on Dispose releases) every field of
    // a module type or tensor type when the wrapper is registered in the model.
    readonly Borrowed _borrowed;
    readonly double _scale;
    readonly double _dropout;

    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, Parameter a, Parameter b, double scale, double dropout) : base(nameof(LoraLinear))
    {
        _borrowed = new Borrowed(baseLayer, a, b);
        _scale = scale;
        _dropout = dropout;
    }

    public nn.Module<Tensor, Tensor> BaseLayer => _borrowed.BaseLayer;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // 1. the frozen projection
        var y = _borrowed.BaseLayer.call(x);
        // 2. low-rank update on the (dropped-out) input, scaled by alpha / r
        var input = AdapterDropout.Apply(x, _dropout, training);
        var update = nn.functional.linear(nn.functional.linear(input, _borrowed.A), _borrowed.B);
        return (y + update * _scale).MoveToOuterDisposeScope();
    }

    sealed record Borrowed(nn.Module<Tensor, Tensor> BaseLayer, Parameter A /* [r, in] */, Parameter B /* [out, r] */);
}
