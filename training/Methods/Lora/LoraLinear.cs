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
    readonly nn.Module<Tensor, Tensor> _baseLayer;
    readonly Parameter _a; // [r, in]
    readonly Parameter _b; // [out, r]
    readonly double _scale;
    readonly double _dropout;

    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, Parameter a, Parameter b, double scale, double dropout) : base(nameof(LoraLinear))
    {
        _baseLayer = baseLayer;
        _a = a;
        _b = b;
        _scale = scale;
        _dropout = dropout;
    }

    public nn.Module<Tensor, Tensor> BaseLayer => _baseLayer;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // 1. the frozen projection
        var y = _baseLayer.call(x);
        // 2. low-rank update on the (dropped-out) input, scaled by alpha / r
        var input = _dropout > 0 && training ? nn.functional.dropout(x, _dropout, training: true) : x;
        var update = nn.functional.linear(nn.functional.linear(input, _a), _b);
        return (y + update * _scale).MoveToOuterDisposeScope();
    }
}
