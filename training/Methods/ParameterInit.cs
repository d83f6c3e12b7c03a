using static TorchSharp.torch;

namespace Adapters.Training.Methods;

/// <summary>Adapter initialisers. Values are drawn on the CPU in float64 from the given generator, then converted, so a seed gives the same start for every dtype and device.</summary>
static class ParameterInit
{
    /// <summary>
    /// U(−1/√fan_in, 1/√fan_in): PyTorch's nn.Linear default (kaiming_uniform_ with a = √5),
    /// which PEFT uses for lora_A and pyreft for its projections.
    /// </summary>
    public static Tensor KaimingUniform(long rows, long fanIn, Generator init, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        double bound = 1.0 / Math.Sqrt(fanIn);
        var u = rand([rows, fanIn], ScalarType.Float64, generator: init) * (2 * bound) - bound;
        return u.to(dtype, device).MoveToOuterDisposeScope();
    }

    /// <summary>[rows, cols] with orthonormal rows (rows ≤ cols): Q of the QR decomposition of a Gaussian matrix.</summary>
    public static Tensor OrthonormalRows(long rows, long cols, Generator init, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var gaussian = randn([cols, rows], ScalarType.Float64, generator: init);
        return Orthonormalize.Rows(gaussian.t()).to(dtype, device).MoveToOuterDisposeScope();
    }
}
