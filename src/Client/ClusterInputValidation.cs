using AdaMec.Core.Atoms;
using AdaMec.Interfaces;

namespace AdaMec.Client;

/// <summary>
/// Checks what the app takes from the cluster before it acts on it: plans (deploy answers, plan
/// notifications, refreshes, status) and segment results delivered by atoms. Each check returns null
/// when the input may be used, else the problem naming the field. A plan or result that fails is not
/// used: the app keeps its plan, or runs the segment's atoms itself from the input it still holds,
/// so a wrong or hostile message costs time, never a wrong answer or a crash. Pure, so the fuzz
/// targets (`adamec bench fuzz`) run the same code the app does.
/// </summary>
public static class ClusterInputValidation
{
    /// <summary>Longest device id a plan or result may name (characters).</summary>
    public const int MaxDeviceIdLength = 256;

    /// <summary>Longest failure text kept from a segment result (characters); the rest is cut.</summary>
    public const int MaxFailureLength = 2048;

    /// <summary>
    /// A live plan for <paramref name="deployment"/> of a model with <paramref name="atoms"/> atoms,
    /// whose initiator is <paramref name="initiator"/>: one device id per atom, a version >= 0 and a
    /// predicted latency that is a number >= 0 (infinite: unreachable).
    /// </summary>
    public static string? Plan(LivePlan? plan, string deployment, string initiator, int atoms)
    {
        if (plan is null) return "plan: missing";
        if (plan.Deployment != deployment) return $"deployment: the plan is for {Quote(plan.Deployment)}, not '{deployment}'";
        if (plan.Initiator != initiator) return $"initiator: the plan is for {Quote(plan.Initiator)}, not '{initiator}'";
        if (plan.Version < 0) return $"version: must be >= 0, got {plan.Version}";
        if (double.IsNaN(plan.PredictedLatencyMs) || plan.PredictedLatencyMs < 0) return $"predictedLatencyMs: must be a number >= 0, got {plan.PredictedLatencyMs}";
        if (plan.Assignment is null) return "assignment: missing";
        if (plan.Assignment.Count != atoms) return $"assignment: {plan.Assignment.Count} devices for {atoms} atoms";
        for (var i = 0; i < plan.Assignment.Count; i++)
        {
            if (DeviceId(plan.Assignment[i]) is { } problem) return $"assignment[{i}]: {problem}";
        }
        return null;
    }

    /// <summary>
    /// The result of a segment sent to atom <paramref name="start"/> along <paramref name="route"/>
    /// (the plan's devices from <paramref name="start"/> on): the atoms it says ran are the next ones
    /// on the route, it ran at least one or says why not, and its output is exactly the input of the
    /// atom it stops before (the model's output after the last atom).
    /// </summary>
    public static string? Segment(ForwardResult? result, int start, IReadOnlyList<string> route, AtomManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(manifest);
        if (result is null) return "result: missing";
        var count = manifest.Atoms.Count;
        if (result.NextAtomIndex < start || result.NextAtomIndex > count)
            return $"nextAtomIndex: must be {start} to {count}, got {result.NextAtomIndex}";
        var ran = result.NextAtomIndex - start;
        if (ran == 0 && result.Failure is null) return "failure: the segment ran no atom and says no reason";
        if (result.NextAtomIndex == count && result.Failure is not null) return "failure: every atom ran, yet the result says one could not";
        if (result.Devices is null) return "devices: missing";
        if (result.Devices.Count != ran) return $"devices: {result.Devices.Count} devices for {ran} atom(s) run";
        for (var k = 0; k < ran; k++)
        {
            if (k >= route.Count || result.Devices[k] != route[k])
                return $"devices[{k}]: atom {start + k} ran on {Quote(result.Devices[k])}, the plan put it on {(k < route.Count ? $"'{route[k]}'" : "no device")}";
        }
        if (result.Output is null) return "output: missing";
        var expected = result.NextAtomIndex < count ? manifest.Atoms[result.NextAtomIndex].InputBytes : manifest.Atoms[count - 1].OutputBytes;
        if (result.Output.LongLength != expected)
            return $"output: {result.Output.LongLength} bytes, atom {(result.NextAtomIndex < count ? $"{result.NextAtomIndex} takes" : $"{count - 1} gives")} {expected}";
        if (result.FromDevice is null) return "fromDevice: missing";
        if (!double.IsFinite(result.ServerMs) || result.ServerMs < 0) return $"serverMs: must be a finite number >= 0, got {result.ServerMs}";
        return null;
    }

    /// <summary>A failure text short enough for logs and results.</summary>
    public static string Failure(string failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Length <= MaxFailureLength ? failure : failure[..MaxFailureLength] + "...";
    }

    private static string? DeviceId(string? device) =>
        string.IsNullOrWhiteSpace(device) ? "a device id is missing"
        : device.Length > MaxDeviceIdLength ? $"a device id of {device.Length} characters, over {MaxDeviceIdLength}"
        : null;

    private static string Quote(string? text) => text is null ? "nothing" : text.Length > 40 ? $"'{text[..40]}...'" : $"'{text}'";
}
