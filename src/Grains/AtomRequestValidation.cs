using AdaMec.Core.Atoms;
using AdaMec.Interfaces;

namespace AdaMec.Grains;

/// <summary>
/// Checks the requests an atom grain receives, where they enter: a load request's ids and spec, and a
/// forward request's target (deployment and index match the grain key, the route starts at this
/// device), bounded route and history, and tensor size. Pure, so the fuzz targets (`adamec bench fuzz`)
/// call the same code the grain runs.
/// </summary>
public static class AtomRequestValidation
{
    /// <summary>Null when the request may run on atom <paramref name="atomKey"/>; else the problem, naming the field.</summary>
    /// <param name="request">The request as it arrived.</param>
    /// <param name="atomKey">The grain key, deployment/index@device.</param>
    /// <param name="spec">The resident atom's spec; null when not resident (then the tensor size is not checked).</param>
    /// <param name="limits">Bounds from configuration.</param>
    public static string? Forward(ForwardRequest? request, string atomKey, AtomSpec? spec, LimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(atomKey);
        ArgumentNullException.ThrowIfNull(limits);
        if (request is null) return "request: missing";
        var (deployment, index, device) = GrainKeys.ParseAtom(atomKey);
        if (request.Deployment != deployment) return $"deployment: '{Short(request.Deployment)}' is not this atom's deployment '{deployment}'";
        if (request.AtomIndex != index) return $"atomIndex: {request.AtomIndex} is not this atom's index {index}";
        if (!IsId(request.Initiator, limits)) return $"initiator: must be an id of 1 to {limits.MaxIdLength} characters";
        // The sender's id names the link a transfer sample is recorded on: an empty one would attribute it to no device.
        if (!IsId(request.FromDevice, limits)) return $"fromDevice: must be a device id of 1 to {limits.MaxIdLength} characters";
        if (request.Route is null || request.Route.Count == 0) return "route: empty (it starts with this atom's device)";
        if (request.Route.Count > limits.MaxRouteLength) return $"route: {request.Route.Count} devices, over the limit of {limits.MaxRouteLength} (Limits:MaxRouteLength)";
        if (request.Route[0] != device) return $"route[0]: '{Short(request.Route[0])}' is not this atom's device '{device}'";
        for (var i = 1; i < request.Route.Count; i++)
            if (!IsId(request.Route[i], limits)) return $"route[{i}]: must be a device id of 1 to {limits.MaxIdLength} characters";
        if (request.Ran is null || request.Ran.Count > limits.MaxRouteLength) return $"ran: missing or over {limits.MaxRouteLength} devices";
        if (!double.IsFinite(request.ServerMs) || request.ServerMs < 0) return $"serverMs: must be a finite number >= 0, got {request.ServerMs}";
        if (request.Input is null) return "input: missing";
        if (request.Input.LongLength > limits.MaxTensorBytes) return $"input: {request.Input.LongLength:N0} bytes, over the limit of {limits.MaxTensorBytes:N0} (Limits:MaxTensorBytes)";
        if (spec is not null && request.Input.LongLength != spec.InputBytes)
            return $"input: atom {atomKey} expects {spec.InputShape} ({spec.InputBytes} bytes), got {request.Input.LongLength} bytes";
        return null;
    }

    /// <summary>
    /// Checks a load request where it enters: the ids it names and the spec (parsed, every field in
    /// range and within <see cref="LimitsOptions"/>), before any weights are pulled or allocated.
    /// </summary>
    /// <exception cref="AdaMecException">InvalidRequest (a request field) or InvalidModel (a spec field), naming it.</exception>
    public static AtomSpec Load(AtomLoadRequest? request, string atomKey, LimitsOptions limits)
    {
        if (request is null) throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"atom {atomKey}: request: missing");
        if (string.IsNullOrEmpty(request.InitiatorDevice) || request.InitiatorDevice.Length > limits.MaxIdLength)
            throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"atom {atomKey}: initiatorDevice: must be an id of 1 to {limits.MaxIdLength} characters");
        if (request.PeerDevice is { } peer && (peer.Length == 0 || peer.Length > limits.MaxIdLength))
            throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"atom {atomKey}: peerDevice: must be an id of 1 to {limits.MaxIdLength} characters");
        AtomSpec spec;
        try
        {
            spec = AtomSpecValidation.Parse(request.SpecJson, limits.ToAtomLimits(), limits.MaxSpecJsonChars);
        }
        catch (AtomFileException e)
        {
            throw new AdaMecException(AdaMecErrorCode.InvalidModel, $"atom {atomKey}: {e.Message}");
        }
        var (_, index, _) = GrainKeys.ParseAtom(atomKey);
        if (spec.Index != index) throw new AdaMecException(AdaMecErrorCode.InvalidModel, $"atom {atomKey}: index: the spec is for atom {spec.Index}");
        return spec;
    }

    private static bool IsId(string? id, LimitsOptions limits) => !string.IsNullOrEmpty(id) && id.Length <= limits.MaxIdLength;

    private static string Short(string? value) => value is null ? "" : value.Length > 64 ? value[..64] + "…" : value;
}
