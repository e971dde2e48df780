using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AdaMec.Interfaces;

/// <summary>
/// The one place that names AdaMec's meter, activity source and instruments (OpenTelemetry-ready:
/// add the meter name "AdaMec" and source name "AdaMec" to an exporter).
/// </summary>
public static class AdaMecTelemetry
{
    /// <summary>Meter and activity source name.</summary>
    public const string Name = "AdaMec";

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(Name, "1.0");

    /// <summary>Traces of inferences, offloads and plans.</summary>
    public static readonly ActivitySource Activities = new(Name, "1.0");

    /// <summary>Time one atom's forward took on a device.</summary>
    public static readonly Histogram<double> AtomForwardDuration = Meter.CreateHistogram<double>("adamec.atom.forward.duration", "ms", "Forward time of one atom on one device");

    /// <summary>Weight bytes pulled by devices when atoms become resident.</summary>
    public static readonly Counter<long> WeightBytesReceived = Meter.CreateCounter<long>("adamec.atom.weights.received", "By", "Atom weight bytes pulled by a device");

    /// <summary>Tensor bytes sent between devices.</summary>
    public static readonly Counter<long> TensorBytesSent = Meter.CreateCounter<long>("adamec.tensor.sent", "By", "Tensor bytes passed between devices");

    /// <summary>Atoms evicted FIFO under a memory budget.</summary>
    public static readonly Counter<long> AtomsEvicted = Meter.CreateCounter<long>("adamec.atom.evicted", "{atom}", "Atoms evicted from a device cache");

    /// <summary>Planner decisions.</summary>
    public static readonly Histogram<double> PlanDecisionDuration = Meter.CreateHistogram<double>("adamec.plan.decision.duration", "ms", "Time the planner took to decide");

    /// <summary>End-to-end inference latency seen by the initiator.</summary>
    public static readonly Histogram<double> InferenceDuration = Meter.CreateHistogram<double>("adamec.inference.duration", "ms", "End-to-end inference latency at the initiator");

    /// <summary>Requests retried on a newer plan or finished locally after a cluster failure.</summary>
    public static readonly Counter<long> InferenceFallbacks = Meter.CreateCounter<long>("adamec.inference.fallbacks", "{request}", "Requests retried or finished locally after a cluster failure");
}
