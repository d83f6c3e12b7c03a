using System.Runtime.InteropServices;

namespace Adapters.Runtime;

/// <summary>
/// Fixes glibc malloc's mmap threshold at its maximum (32 MiB) before the first ONNX Runtime
/// session loads, so every session's weight buffers below that size come from the heap.
/// </summary>
/// <remarks>
/// glibc serves large allocations with mmap and raises the threshold the first time such a block
/// is freed (dynamic threshold). Loading a model frees the model file's buffer, so the first session
/// of a process had its weights in separately mapped blocks and every later one (and GenAI's) on the
/// heap, and the first decoded measurably slower: `adapters bench --model` on a 15M export gave
/// the first-loaded session 2–9 % slower per-step p50 than an identical second session in 5 of 5
/// runs, whichever of the two was loaded first, and no difference with MALLOC_MMAP_THRESHOLD_ set.
/// A server has one session, the first, so it always got the slow layout. Setting the threshold
/// once makes the first session's layout what every later one gets. Where the C library is not
/// glibc (no mallopt), nothing changes. An explicit MALLOC_MMAP_THRESHOLD_ in the environment
/// wins: the user has chosen.
/// </remarks>
internal static class NativeHeapLayout
{
    const int MmapThreshold = -3;                 // M_MMAP_THRESHOLD in glibc's malloc.h
    const int LargestThreshold = 32 * 1024 * 1024; // DEFAULT_MMAP_THRESHOLD_MAX on 64-bit glibc

    static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>True when the threshold was set (once per process; later calls do nothing).</summary>
    public static bool EnsureApplied() => Applied.Value;

    static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return false;
        try
        {
            return mallopt(MmapThreshold, LargestThreshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // not glibc (musl has no mallopt): its allocator's own behaviour stands
        }
    }

    [DllImport("libc", ExactSpelling = true)]
    static extern int mallopt(int param, int value);
}
