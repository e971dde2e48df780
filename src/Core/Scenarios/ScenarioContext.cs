namespace AdaMec.Core.Scenarios;

/// <summary>The context a scenario sets at one moment: what a replay has applied once every event up to then has happened.</summary>
/// <param name="T">Seconds from the start.</param>
/// <param name="RequirementMs">The latency requirement, ms.</param>
/// <param name="Devices">Every device of the scenario with its limits and budgets now.</param>
/// <param name="Present">Devices that are there (joined and neither left nor crashed), frozen ones included.</param>
/// <param name="Frozen">Devices frozen at this moment.</param>
/// <param name="Links">Every link with its rate and delay now.</param>
public sealed record ScenarioContext(
    double T,
    double RequirementMs,
    IReadOnlyList<TraceDevice> Devices,
    IReadOnlySet<string> Present,
    IReadOnlySet<string> Frozen,
    IReadOnlyList<TraceLink> Links)
{
    public TraceDevice Device(string id) => Devices.Single(d => d.Id == id);

    public TraceLink Link(string a, string b) => Links.Single(l => l.Joins(a, b));

    /// <summary>
    /// The context at <paramref name="t"/> seconds: the trace's start with every event at or before
    /// <paramref name="t"/> applied in order.
    /// </summary>
    public static ScenarioContext At(ScenarioTrace trace, double t)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var requirement = trace.RequirementMs;
        var devices = trace.Devices.ToList();
        var links = trace.Links.ToList();
        var present = trace.Devices.Where(d => d.Present).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var frozen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in trace.Events.TakeWhile(e => e.T <= t))
        {
            switch (e)
            {
                case LinkChanged c:
                    var i = links.FindIndex(l => l.Joins(c.A, c.B));
                    links[i] = links[i] with { Mbps = c.Mbps ?? links[i].Mbps, DelayMs = c.DelayMs ?? links[i].DelayMs };
                    break;
                case RequirementChanged c: requirement = c.Ms; break;
                case MemoryLimitChanged c: Update(devices, c.Device, d => d with { MemoryLimitMb = c.Mb }); break;
                case MemoryBudgetChanged c: Update(devices, c.Device, d => d with { MemoryBudgetMb = c.Mb }); break;
                case ComputeBudgetChanged c: Update(devices, c.Device, d => d with { ComputeBudgetMflops = c.Mflops }); break;
                case CpuQuotaChanged c: Update(devices, c.Device, d => d with { Cpus = c.Cpus }); break;
                case DeviceJoined c: present.Add(c.Device); break;
                case DeviceLeft c: present.Remove(c.Device); break;
                case DeviceCrashed c: present.Remove(c.Device); break;
                case DeviceFroze c when t < c.T + c.ForS: frozen.Add(c.Device); break;
                case DeviceFroze: break;
                default: throw new InvalidOperationException($"no context rule for {e.Kind}");
            }
        }

        return new ScenarioContext(t, requirement, devices, present, frozen, links);
    }

    private static void Update(List<TraceDevice> devices, string id, Func<TraceDevice, TraceDevice> change)
    {
        var i = devices.FindIndex(d => d.Id == id);
        devices[i] = change(devices[i]);
    }
}
