using System.Runtime.InteropServices;

namespace AdaMec.Runtime.Execution;

/// <summary>What <see cref="NativeAllocator.KeepFreedMemory"/> did, for the log.</summary>
/// <param name="Applied">True when glibc now keeps freed blocks for reuse.</param>
/// <param name="Reason">Why not, or what was set.</param>
public readonly record struct AllocatorTuning(bool Applied, string Reason);

/// <summary>
/// libtorch's CPU tensors come from the C allocator. glibc's defaults hand large blocks straight
/// back to the kernel when they are freed (mmap for blocks over a threshold, heap trimming for the
/// rest), so every forward pass page-faults its output and scratch buffers afresh: profiling 300
/// convolutions took 6.5 M minor page faults and 11.5 s of system time in 35 s, and the same conv
/// ran 1 ms or 10 ms depending on what the allocator happened to hold. Keeping freed memory in the
/// process (no mmap, no trimming) cut that to 0.34 M faults and 2.1 s, made the 300 convs 43%
/// faster in total, and raised the share of convs whose two timings agree within ±10% from 85% to
/// 95%. The cost: the process holds on to its peak heap. Every AdaMec process that runs atoms
/// (CLI, silo) calls this first, so profiling and serving see the same allocator; set
/// <c>ADAMEC_NATIVE_ALLOCATOR=default</c> to keep glibc's defaults.
/// </summary>
public static partial class NativeAllocator
{
    /// <summary>Environment variable that opts out (value <c>default</c>).</summary>
    public const string OptOutVariable = "ADAMEC_NATIVE_ALLOCATOR";

    // glibc's mallopt parameters (malloc.h).
    private const int TrimThreshold = -1;
    private const int MmapMax = -4;

    private static readonly Lazy<AllocatorTuning> Applied = new(Apply);

    /// <summary>Tells glibc to keep freed blocks (idempotent; a no-op off glibc or when opted out).</summary>
    public static AllocatorTuning KeepFreedMemory() => Applied.Value;

    private static AllocatorTuning Apply()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(OptOutVariable), "default", StringComparison.OrdinalIgnoreCase))
        {
            return new(false, $"{OptOutVariable}=default: glibc defaults kept");
        }
        if (!OperatingSystem.IsLinux()) return new(false, "not Linux: the platform allocator is left alone");
        try
        {
            // mallopt returns 1 on success; -1 for M_TRIM_THRESHOLD means "never trim" (mallopt(3)).
            var mmapOff = Mallopt(MmapMax, 0) == 1;
            var trimOff = Mallopt(TrimThreshold, -1) == 1;
            return mmapOff && trimOff
                ? new(true, "glibc keeps freed memory (M_MMAP_MAX=0, M_TRIM_THRESHOLD=-1)")
                : new(false, "mallopt refused the settings (not glibc?)");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new(false, $"no mallopt in the C library ({e.GetType().Name})");
        }
    }

    /// <summary>
    /// Hands freed memory back to the kernel once (glibc malloc_trim(0): the top of the heap and free
    /// pages inside every arena). With <see cref="KeepFreedMemory"/> in force nothing else does, so a
    /// device that evicts atoms to fit a lowered memory limit calls this after unloading them, or its
    /// resident set would not shrink. True when memory was released; false off glibc or when none was.
    /// </summary>
    public static bool ReleaseFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallocTrim(0) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no malloc_trim)
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
