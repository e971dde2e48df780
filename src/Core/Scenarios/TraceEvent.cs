namespace AdaMec.Core.Scenarios;

/// <summary>One change on a scenario's timeline, at <see cref="T"/> seconds from the start.</summary>
/// <param name="T">Seconds from the start of the replay.</param>
public abstract record TraceEvent(double T)
{
    /// <summary>The <c>kind</c> field of the event in a trace file (<see cref="TraceEventKinds"/>).</summary>
    public abstract string Kind { get; }
}

/// <summary>A link's rate and/or delay changes (both directions).</summary>
public sealed record LinkChanged(double T, string A, string B, double? Mbps, double? DelayMs) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.Link;
}

/// <summary>The latency requirement changes.</summary>
public sealed record RequirementChanged(double T, double Ms) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.Requirement;
}

/// <summary>A device's process memory limit (cgroup) changes.</summary>
public sealed record MemoryLimitChanged(double T, string Device, double Mb) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.MemoryLimit;
}

/// <summary>The memory budget declared to the planner for a device changes.</summary>
public sealed record MemoryBudgetChanged(double T, string Device, double Mb) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.MemoryBudget;
}

/// <summary>The compute budget declared to the planner for a device changes.</summary>
public sealed record ComputeBudgetChanged(double T, string Device, double Mflops) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.ComputeBudget;
}

/// <summary>A device's CPU quota (cgroup cpu) changes.</summary>
public sealed record CpuQuotaChanged(double T, string Device, double Cpus) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.CpuQuota;
}

/// <summary>A device that is not there joins (its silo starts).</summary>
public sealed record DeviceJoined(double T, string Device) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.Join;
}

/// <summary>A device leaves gracefully (its silo stops).</summary>
public sealed record DeviceLeft(double T, string Device) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.Leave;
}

/// <summary>A device crashes (its silo is killed with SIGKILL).</summary>
public sealed record DeviceCrashed(double T, string Device) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.Crash;
}

/// <summary>A device freezes for <see cref="ForS"/> seconds (SIGSTOP, then SIGCONT).</summary>
public sealed record DeviceFroze(double T, string Device, double ForS) : TraceEvent(T)
{
    public override string Kind => TraceEventKinds.Freeze;
}

/// <summary>The <c>kind</c> names of a trace file's events.</summary>
public static class TraceEventKinds
{
    public const string Link = "link";
    public const string Requirement = "requirement";
    public const string MemoryLimit = "memoryLimit";
    public const string MemoryBudget = "memoryBudget";
    public const string ComputeBudget = "computeBudget";
    public const string CpuQuota = "cpuQuota";
    public const string Join = "join";
    public const string Leave = "leave";
    public const string Crash = "crash";
    public const string Freeze = "freeze";

    public static IReadOnlyList<string> All { get; } =
        [Link, Requirement, MemoryLimit, MemoryBudget, ComputeBudget, CpuQuota, Join, Leave, Crash, Freeze];
}
