using AdaMec.Runtime.Execution;

namespace AdaMec.Runtime.Tests.Execution;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void KeepFreedMemory_OnGlibc_AppliedAndIdempotent()
    {
        var first = NativeAllocator.KeepFreedMemory();
        var second = NativeAllocator.KeepFreedMemory();

        var optedOut = Environment.GetEnvironmentVariable(NativeAllocator.OptOutVariable) == "default";
        Assert.Equal(OperatingSystem.IsLinux() && !optedOut, first.Applied);
        Assert.False(string.IsNullOrWhiteSpace(first.Reason));
        Assert.Equal(first, second);
    }
}
