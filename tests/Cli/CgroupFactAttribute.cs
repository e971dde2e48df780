using AdaMec.Bench.Context;

namespace AdaMec.Cli.Tests;

/// <summary>Skips, saying why, where cgroup v1 memory and cpu controllers cannot be written (not Linux, not root, no v1 hierarchy).</summary>
public sealed class CgroupFactAttribute : FactAttribute
{
    public CgroupFactAttribute()
    {
        if (CgroupV1.WhyNot() is { } why) Skip = why;
    }
}
