using static TorchSharp.torch;

namespace Adapters.Training.Engine;

/// <summary>Sets libtorch's intra-op CPU thread count from a user option.</summary>
public static class TorchThreads
{
    /// <summary>
    /// Applies <paramref name="threads"/> (null or 0: one per logical core) with
    /// torch.set_num_threads and returns the count in effect. The setting is process-wide.
    /// </summary>
    public static int Apply(int? threads)
    {
        if (threads is < 0) throw new ArgumentException($"thread count must be >= 0 (0 = all cores), got {threads}");
        int count = threads is null or 0 ? Environment.ProcessorCount : threads.Value;
        set_num_threads(count);
        return get_num_threads();
    }
}
