using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Projection;

/// <summary>
/// A projection plus an additive update: y = base(x) + update(x). Borrows the wrapped projection
/// (owned by the model) and the update (whose parameters the method owns); neither is
/// registered here, so disposing the wrapper releases only its own handle.
/// </summary>
sealed class ProjectionUpdateLinear : nn.Module<Tensor, Tensor>
{
    // Held through a plain object: TorchSharp registers (and on Dispose releases) every field of
    // a module type or tensor type when the wrapper is registered in the model.
    readonly Borrowed _borrowed;

    public ProjectionUpdateLinear(nn.Module<Tensor, Tensor> baseLayer, Func<Tensor, Tensor> update) : base(nameof(ProjectionUpdateLinear)) =>
        _borrowed = new Borrowed(baseLayer, update);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return KeptScalars.Plus(_borrowed.BaseLayer.call(x), _borrowed.Update(x)).MoveToOuterDisposeScope();
    }

    sealed record Borrowed(nn.Module<Tensor, Tensor> BaseLayer, Func<Tensor, Tensor> Update);
}
