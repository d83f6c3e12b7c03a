using static TorchSharp.torch;

namespace Adapters.Training.Methods;

/// <summary>
/// Inverted dropout for adapter inputs: x · m / (1 − p) with m ~ Bernoulli(1 − p). Masks come
/// from a per-thread generator that the trainer reseeds for every micro-batch
/// (<see cref="Seed"/>), never from torch's process-wide generator, so masks depend only on the
/// seed and the micro-batch — other work in the process (tests in parallel, other trainers)
/// cannot shift them, and a resumed run draws the same masks.
/// </summary>
public static class AdapterDropout
{
    [ThreadStatic] static Generator? _generator;

    /// <summary>Reseeds this thread's dropout generator.</summary>
    public static void Seed(long seed)
    {
        _generator ??= new Generator(0);
        _generator.manual_seed(seed);
    }

    public static Tensor Apply(Tensor x, double rate, bool training)
    {
        if (rate == 0 || !training) return x;
        using var scope = NewDisposeScope();
        _generator ??= new Generator(0);
        // Drawn on the CPU: a generator is bound to one device.
        var keep = rand(x.shape, ScalarType.Float32, generator: _generator).ge(rate).to(x.dtype, x.device);
        return (x * keep / (1 - rate)).MoveToOuterDisposeScope();
    }
}
