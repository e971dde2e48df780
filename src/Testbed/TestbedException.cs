namespace AdaMec.Testbed;

/// <summary>The testbed could not do what was asked; the message says what and, for a host command, its output.</summary>
public sealed class TestbedException : Exception
{
    public TestbedException()
    {
    }

    public TestbedException(string message)
        : base(message)
    {
    }

    public TestbedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>What <see cref="Testbed.CutMemoryLimit"/> did.</summary>
/// <param name="Device">The device.</param>
/// <param name="TargetBytes">The limit asked for.</param>
/// <param name="HardLimitBytes">The hard limit set: the target, or the device's working set plus the headroom when it did not shed enough in time.</param>
/// <param name="WorkingSetBeforeBytes">The device's working set when the cut was announced.</param>
/// <param name="WorkingSetAfterBytes">Its working set when the hard limit was set.</param>
/// <param name="Waited">From the announcement to the hard limit.</param>
/// <param name="OomKills">Processes of the device the kernel killed for memory meanwhile.</param>
public sealed record MemoryCut(string Device, long TargetBytes, long HardLimitBytes, long WorkingSetBeforeBytes, long WorkingSetAfterBytes, TimeSpan Waited, long OomKills)
{
    /// <summary>True when the hard limit reached the target.</summary>
    public bool Reached => HardLimitBytes <= TargetBytes;
}
