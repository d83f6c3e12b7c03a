using System.Runtime.InteropServices;
using Adapters.Runtime;

namespace Adapters.Runtime.Tests;

public class NativeHeapLayoutTests
{
    /// <summary>glibc's chunk header: the size word before the block, bit 1 set when the block was mapped on its own.</summary>
    const long IsMmapped = 0x2;

    [Fact]
    public void Before_the_first_session_the_heap_is_fixed_so_weight_sized_blocks_are_not_mapped_one_by_one()
    {
        Assert.True(OperatingSystem.IsLinux(), "this build runs on Linux");
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null)
        {
            Assert.False(NativeHeapLayout.EnsureApplied()); // the user's setting stands
            return;
        }
        Assert.True(NativeHeapLayout.EnsureApplied(), "mallopt(M_MMAP_THRESHOLD, 32 MiB) was not applied (is the C library glibc?)");
        // 24 MiB, a large projection's size: below the fixed threshold it is a heap block (with glibc's
        // dynamic threshold it is mapped on its own until some freed mapped block has raised the threshold).
        nint block = Marshal.AllocHGlobal(24 << 20);
        try
        {
            Assert.Equal(0, Marshal.ReadInt64(block - sizeof(long)) & IsMmapped);
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }
}
