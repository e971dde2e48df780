using AdaMec.Interfaces;
using AdaMec.Interfaces.Security;
using AdaMec.Telemetry;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace AdaMec.Grains.Security;

/// <summary>
/// The silo's incoming grain-call filter when a cluster key is configured: every call to a grain must
/// carry a signature (<see cref="CallSignature"/>) that verifies against the cluster key and a role
/// allowed to make the call (<see cref="CallAuthorization"/>). Refusals throw
/// <see cref="AdaMecException"/> (Unauthenticated or Forbidden) back to the caller, are logged and
/// counted (adamec.calls.refused). Orleans' own system targets (membership, directory, gateway
/// plumbing) are not grains and do not pass through here.
/// </summary>
internal sealed partial class AuthenticatingCallFilter(ClusterCredential clusterKey, TimeSpan maxSkew, TimeProvider clock, AdaMecMetrics metrics, ILogger<AuthenticatingCallFilter> logger)
    : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TargetContext is SystemTarget || IsTimerTick(context)) return context.Invoke();
        var target = context.TargetId.ToString();
        var check = CallSignature.Verify(clusterKey, RequestContext.Get(CallSignature.Header), target, context.InterfaceName, context.MethodName, clock.GetUtcNow(), maxSkew);
        if (!check.Valid)
        {
            Refuse("unauthenticated", "none", target, context.MethodName, check.Reason!);
            throw new AdaMecException(AdaMecErrorCode.Unauthenticated, $"call to {target} {context.MethodName} refused: {check.Reason}");
        }
        var type = context.InterfaceMethod?.DeclaringType;
        if (type is null || check.Role == ClusterRole.Silo) return context.Invoke();
        var arguments = new object?[context.Request.GetArgumentCount()];
        for (var i = 0; i < arguments.Length; i++) arguments[i] = context.Request.GetArgument(i);
        var key = context.TargetId.Key.ToString() ?? "";
        var owner = (context.Grain as IInitiatorOwned)?.OwnerInitiator;
        if (CallAuthorization.Refusal(check.Role, check.Name!, new CallAuthorization.GrainCall(type, context.MethodName, key, owner, arguments)) is { } refusal)
        {
            Refuse("forbidden", ClusterCredential.Lower(check.Role), target, context.MethodName, refusal);
            throw new AdaMecException(AdaMecErrorCode.Forbidden, $"call refused: {refusal}");
        }
        return context.Invoke();
    }

    /// <summary>
    /// A grain timer's tick: Orleans delivers it through the grain's call pipeline as a call on its own
    /// timer invoker, from inside the silo, with no caller and so no credential.
    /// </summary>
    private static bool IsTimerTick(IIncomingGrainCallContext context) =>
        context.InterfaceMethod?.DeclaringType?.FullName == "Orleans.Runtime.IGrainTimerInvoker";

    private void Refuse(string outcome, string role, string target, string method, string reason)
    {
        metrics.CallsRefused.Add(1, new KeyValuePair<string, object?>("reason", outcome), new KeyValuePair<string, object?>("role", role));
        LogRefused(logger, outcome, target, method, reason);
    }

    [LoggerMessage(1, LogLevel.Warning, "Call {Outcome}: {Target} {Method}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string outcome, string target, string method, string reason);
}
