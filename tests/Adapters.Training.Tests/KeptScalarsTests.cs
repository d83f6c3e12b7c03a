using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>
/// The training code keeps Scalars for the life of the process (training/Model/KeptScalars.cs), and
/// the first use may come inside a module's dispose scope. That only works while TorchSharp leaves
/// Scalars out of dispose scopes: a Scalar made inside one must outlive it.
/// </summary>
public class KeptScalarsTests
{
    [Fact]
    public void A_scalar_made_inside_a_dispose_scope_outlives_it()
    {
        Scalar kept;
        using (NewDisposeScope()) kept = 3.5.ToScalar();
        GC.Collect();
        GC.WaitForPendingFinalizers();

        using var product = ones(4).mul(kept);

        Assert.Equal(14f, product.sum().item<float>());
        GC.KeepAlive(kept);
    }
}
