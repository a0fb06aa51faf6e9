using System.Runtime.InteropServices;

namespace AdmissionGuard.Fuzz;

/// <summary>
/// Instrumented assemblies record coverage through <c>SharpFuzz.Common.Trace.SharedMem</c>, a pointer that stays
/// null until SharpFuzz attaches afl-fuzz's map: code under test run before that (replay, seeds, loading the
/// review target's baseline) would write through null. This class touches nothing instrumented.
/// </summary>
internal static class CoverageMap
{
    /// <summary>A scratch map until afl-fuzz's replaces it; harmless when nothing is instrumented.</summary>
    public static unsafe void AllocateScratch()
    {
        if (SharpFuzz.Common.Trace.SharedMem is null)
        {
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);
        }
    }
}
