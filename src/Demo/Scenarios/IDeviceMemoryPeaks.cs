namespace AdaMec.Demo.Scenarios;

/// <summary>
/// A stage that reads from the kernel how much memory each device's processes held at most (the real testbed: each
/// device's cgroup). The in-process stage has no such thing: its devices share one process.
/// </summary>
public interface IDeviceMemoryPeaks
{
    /// <summary>Starts every device's peak afresh from its usage now; false where the kernel cannot (cgroup v2: the peak then counts from the device's creation).</summary>
    bool ResetPeakMemory();

    /// <summary>Per device: the most memory its cgroup held at once (page cache included), bytes.</summary>
    IReadOnlyDictionary<string, long> PeakMemoryBytes();

    /// <summary>What the figures are, in one line for a report (which kernel files, since when).</summary>
    string PeakMemorySource(bool reset);
}
