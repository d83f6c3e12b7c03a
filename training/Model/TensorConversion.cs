using Adapters.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>Copies between core's float32 <see cref="TensorData"/> and torch tensors.</summary>
static class TensorConversion
{
    /// <summary>A parameter owned by its module, not by any dispose scope that happens to be open.</summary>
    public static Parameter ToParameter(TensorData data, ScalarType dtype, Device? device, bool requiresGrad)
    {
        using var scope = NewDisposeScope();
        var parameter = new Parameter(ToTensor(data, dtype, device), requiresGrad);
        parameter.DetachFromDisposeScope();
        return parameter;
    }

    /// <summary>
    /// A copy in memory that libtorch allocated. <c>tensor(float[])</c> wraps the pinned managed
    /// array instead of copying it, so without the copy a float32 CPU weight would (a) be edited in
    /// place by training, breaking <see cref="TensorData"/>'s immutability, and (b) sit at whatever
    /// alignment the GC gave it: MKL picks its GEMM kernels by operand alignment, and the same
    /// weights gave logits a few ulps apart from one load to the next.
    /// </summary>
    public static Tensor ToTensor(TensorData data, ScalarType dtype, Device? device)
    {
        using var wrapped = tensor(data.Data, data.Shape.Select(d => (long)d).ToArray(), ScalarType.Float32);
        return wrapped.to(dtype, device ?? CPU, copy: true);
    }

    /// <summary>A float32 copy of a tensor of any dtype and device, for export.</summary>
    public static TensorData ToTensorData(string name, Tensor t)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var host = t.detach().to(ScalarType.Float32, CPU).contiguous();
        return new TensorData(name, host.shape.Select(d => checked((int)d)).ToArray(), host.data<float>().ToArray());
    }
}
