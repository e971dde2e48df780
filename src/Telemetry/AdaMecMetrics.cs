using System.Diagnostics.Metrics;
using AdaMec.Interfaces;

namespace AdaMec.Telemetry;

/// <summary>
/// AdaMec's instruments on the meter <see cref="AdaMecTelemetry.Name"/>, created through the host's
/// <see cref="IMeterFactory"/> (one per silo or client host; <c>AddAdaMecTelemetry()</c> registers it).
/// Names are lowercase-dotted with UCUM units; the Prometheus exposition turns
/// <c>adamec.atom.forward.duration</c> (ms) into <c>adamec_atom_forward_duration_milliseconds</c>.
/// </summary>
public sealed class AdaMecMetrics
{
    private readonly Meter _meter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public AdaMecMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = _meter = meterFactory.Create(new MeterOptions(AdaMecTelemetry.Name) { Version = "1.0" });
        InferenceDuration = meter.CreateHistogram<double>("adamec.inference.duration", "ms", "End-to-end inference latency at the initiator");
        InferenceFallbacks = meter.CreateCounter<long>("adamec.inference.fallbacks", "{segment}", "Cluster segments of requests that failed over: retried on a newer plan or finished on the initiator");
        AtomForwardDuration = meter.CreateHistogram<double>("adamec.atom.forward.duration", "ms", "Forward time of one atom on one device");
        PlanDecisions = meter.CreateCounter<long>("adamec.plan.decisions", "{decision}", "Plan decisions taken, by trigger kind");
        PlanDecisionDuration = meter.CreateHistogram<double>("adamec.plan.decision.duration", "ms", "Time the planner took to decide");
        WeightsMoved = meter.CreateCounter<long>("adamec.weights.moved", "By", "Atom weight bytes pulled by a device to make an atom resident");
        WeightsMoveDuration = meter.CreateHistogram<double>("adamec.weights.move.duration", "ms", "Time one atom's weights took to arrive on a device");
        TensorBytesSent = meter.CreateCounter<long>("adamec.tensor.sent", "By", "Tensor bytes passed between devices");
        AtomsEvicted = meter.CreateCounter<long>("adamec.atom.evicted", "{atom}", "Atoms evicted from a device");
        CallsRefused = meter.CreateCounter<long>("adamec.calls.refused", "{call}", "Grain calls a silo refused for a missing, invalid or out-of-role cluster credential");
        LinkSamplesRefused = meter.CreateCounter<long>("adamec.link.samples.refused", "{sample}", "Transfer samples a link grain refused as unusable (bytes <= 0, time negative or not finite)");
        LinkBandwidth = meter.CreateGauge<double>("adamec.link.bandwidth", "Mbit/s", "Estimated bandwidth of a directed link");
        LinkLatency = meter.CreateGauge<double>("adamec.link.latency", "ms", "Estimated one-way latency of a directed link");
    }

    /// <summary>End-to-end inference latency at the initiator (tags: deployment, model).</summary>
    public Histogram<double> InferenceDuration { get; }

    /// <summary>Cluster segments that failed over to a newer plan or to the initiator (tags: deployment).</summary>
    public Counter<long> InferenceFallbacks { get; }

    /// <summary>Forward time of one atom (tags: deployment, atom, device).</summary>
    public Histogram<double> AtomForwardDuration { get; }

    /// <summary>Plan decisions (tags: trigger, strategy, feasible).</summary>
    public Counter<long> PlanDecisions { get; }

    /// <summary>Planner decision time (tags: trigger, strategy).</summary>
    public Histogram<double> PlanDecisionDuration { get; }

    /// <summary>Weight bytes pulled by a device (tags: device, source).</summary>
    public Counter<long> WeightsMoved { get; }

    /// <summary>Transfer time of one atom's weights (tags: device, source).</summary>
    public Histogram<double> WeightsMoveDuration { get; }

    /// <summary>Tensor bytes sent between devices (tags: from, to).</summary>
    public Counter<long> TensorBytesSent { get; }

    /// <summary>Atoms evicted from a device (tags: device).</summary>
    public Counter<long> AtomsEvicted { get; }

    /// <summary>Grain calls refused by a silo's cluster-key filter (tags: reason unauthenticated|forbidden, role).</summary>
    public Counter<long> CallsRefused { get; }

    /// <summary>Unusable transfer samples a link grain refused (tags: link).</summary>
    public Counter<long> LinkSamplesRefused { get; }

    /// <summary>A link's estimated bandwidth (tags: from, to, source).</summary>
    public Gauge<double> LinkBandwidth { get; }

    /// <summary>A link's estimated one-way latency (tags: from, to, source).</summary>
    public Gauge<double> LinkLatency { get; }

    /// <summary>
    /// Observes this host's device: <c>adamec.device.memory.available</c> (By) and <c>adamec.device.cpu.load</c>
    /// (fraction of the device's CPUs, 0 to 1), read when a reader collects. Negative readings (unknown) are skipped.
    /// </summary>
    public void ObserveDevice(string deviceId, Func<long> availableMemoryBytes, Func<double> cpuLoad)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        ArgumentNullException.ThrowIfNull(availableMemoryBytes);
        ArgumentNullException.ThrowIfNull(cpuLoad);
        var tag = new KeyValuePair<string, object?>(AdaMecTelemetry.Tags.Device, deviceId);
        _meter.CreateObservableGauge("adamec.device.memory.available",
            () => availableMemoryBytes() is var bytes and >= 0 ? [new Measurement<long>(bytes, tag)] : Array.Empty<Measurement<long>>(),
            "By", "Memory available to atoms on a device");
        _meter.CreateObservableGauge("adamec.device.cpu.load",
            () => cpuLoad() is var load and >= 0 ? [new Measurement<double>(load, tag)] : Array.Empty<Measurement<double>>(),
            "1", "CPU load of a device (0 to 1)");
    }
}
