using System.Runtime.InteropServices;
using AdmissionGuard.Hosting;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Hosting;

/// <summary>Memory that native code freed leaves the resident set when <see cref="NativeHeap.ReleaseFreed"/> runs.</summary>
[Collection(RunsAlone.Name)]
public class NativeHeapTests
{
    [SkippableFact]
    public void Native_memory_freed_below_a_live_block_stops_being_resident()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "malloc_trim is glibc's; this test reads /proc");

        // 80 MB in blocks below the allocator's threshold for mapping a block apart, every 16th kept: the freed ones
        // lie between kept ones, as a fetch's freed memory does, where free() alone does not give them back.
        const int Blocks = 20_000, BlockSize = 4096, KeptEvery = 16;
        var blocks = new nint[Blocks];
        var content = Enumerable.Repeat((byte)1, BlockSize).ToArray();
        for (var i = 0; i < Blocks; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(BlockSize);
            Marshal.Copy(content, 0, blocks[i], BlockSize);
        }

        try
        {
            for (var i = 0; i < Blocks; i++)
            {
                if (i % KeptEvery != 0)
                {
                    Marshal.FreeHGlobal(blocks[i]);
                }
            }

            var freed = AnonymousKilobytes();
            NativeHeap.ReleaseFreed();
            var released = AnonymousKilobytes();

            Assert.True(freed - released > 40_000, $"resident anonymous memory {freed} kB after the free, {released} kB after ReleaseFreed");
        }
        finally
        {
            for (var i = 0; i < Blocks; i += KeptEvery)
            {
                Marshal.FreeHGlobal(blocks[i]);
            }
        }
    }

    private static long AnonymousKilobytes() =>
        long.Parse(File.ReadLines("/proc/self/smaps_rollup").First(line => line.StartsWith("Anonymous:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
