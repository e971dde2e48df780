using System.Diagnostics;

namespace AdaMec.Interfaces;

/// <summary>
/// The names AdaMec's telemetry uses: the meter and activity source "AdaMec" (instruments live in
/// <c>AdaMec.Telemetry.AdaMecMetrics</c>, created per host through <c>IMeterFactory</c>), span names
/// and attribute keys. <c>AddAdaMecTelemetry()</c> (AdaMec.Telemetry) wires them to OpenTelemetry.
/// </summary>
public static class AdaMecTelemetry
{
    /// <summary>Meter and activity source name.</summary>
    public const string Name = "AdaMec";

    /// <summary><c>service.name</c> of a silo.</summary>
    public const string SiloService = "adamec-silo";

    /// <summary><c>service.name</c> of a client (an initiator).</summary>
    public const string ClientService = "adamec-client";

    /// <summary>Traces of inferences, offloads and plans (one source per process: activities carry the device as an attribute).</summary>
    public static readonly ActivitySource Activities = new(Name, "1.0");

    /// <summary>Span names.</summary>
    public static class Spans
    {
        /// <summary>One inference at the initiator: the root of its trace.</summary>
        public const string Inference = "adamec.inference";

        /// <summary>One atom's forward pass on one device.</summary>
        public const string AtomForward = "adamec.atom.forward";

        /// <summary>A tensor handed from one device to the next (or back to the initiator).</summary>
        public const string TensorTransfer = "adamec.tensor.transfer";

        /// <summary>A planner's decision: the root of a re-plan's trace.</summary>
        public const string Replan = "adamec.replan";

        /// <summary>One atom made resident on its planned device (a child of the re-plan that asked for it).</summary>
        public const string Offload = "adamec.offload";
    }

    /// <summary>Attribute (tag) keys on spans and measurements.</summary>
    public static class Tags
    {
        /// <summary>The device the work ran on.</summary>
        public const string Device = "adamec.device";

        /// <summary>The deployment id.</summary>
        public const string Deployment = "adamec.deployment";

        /// <summary>The atom index in its chain.</summary>
        public const string Atom = "adamec.atom";

        /// <summary>Sending device of a transfer.</summary>
        public const string From = "adamec.from";

        /// <summary>Receiving device of a transfer.</summary>
        public const string To = "adamec.to";

        /// <summary>Bytes of a tensor or of weights.</summary>
        public const string Bytes = "adamec.bytes";

        /// <summary>Input bytes of a forward pass.</summary>
        public const string InputBytes = "adamec.input.bytes";

        /// <summary>Output bytes of a forward pass.</summary>
        public const string OutputBytes = "adamec.output.bytes";

        /// <summary>What made the planner re-plan (deploy, operator, membership, eviction, context, resumed).</summary>
        public const string Trigger = "adamec.trigger";

        /// <summary>Plan version.</summary>
        public const string PlanVersion = "adamec.plan.version";
    }
}
