using AdaMec.Interfaces;
using AdaMec.Interfaces.Security;

namespace AdaMec.Grains.Security;

/// <summary>
/// Which role may make which grain call (pure; the table is in docs/security.md). Silos may call
/// anything. Operators read the cluster, pin plans, set budgets, latency requirements and link
/// declarations. Initiators deploy and infer on their own deployments only: the deployment's
/// initiator must be the credential's name.
/// </summary>
public static class CallAuthorization
{
    /// <summary>A call as the filter sees it.</summary>
    /// <param name="Interface">The grain interface called.</param>
    /// <param name="Method">The interface method's name (the C# name, e.g. DeployAsync).</param>
    /// <param name="Key">The target grain's string key ("" for other key kinds).</param>
    /// <param name="Owner">The initiator owning the target grain's deployment, when the grain knows it.</param>
    /// <param name="Arguments">The call's arguments.</param>
    public sealed record GrainCall(Type Interface, string Method, string Key, string? Owner, IReadOnlyList<object?> Arguments);

    /// <summary>Null when <paramref name="role"/> named <paramref name="name"/> may make <paramref name="call"/>; otherwise why not.</summary>
    public static string? Refusal(ClusterRole role, string name, GrainCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (role == ClusterRole.Silo) return null;
        var method = call.Method.EndsWith("Async", StringComparison.Ordinal) ? call.Method[..^5] : call.Method;
        var allowed = role switch
        {
            ClusterRole.Operator => Operator(call.Interface, method),
            ClusterRole.Initiator => Initiator(call, method, name),
            _ => false,
        };
        if (allowed) return null;
        if (role == ClusterRole.Initiator && call.Owner is { } owner && owner != name && InitiatorMethod(call.Interface, method))
            return $"initiator '{name}' may not call {call.Interface.Name}.{method} on '{call.Key}': the deployment belongs to initiator '{owner}'";
        return $"{ClusterCredential.Lower(role)} '{name}' may not call {call.Interface.Name}.{method}";
    }

    private static bool Operator(Type type, string method) =>
        type == typeof(IPlannerGrain) ? method is "GetPlan" or "GetStatus" or "GetHistory" or "SetLatencyRequirement" or "Replan" or "Pin"
        : type == typeof(IDeviceGrain) ? method is "GetStatus" or "SetBudgets"
        : type == typeof(ILinkGrain) ? method is "Get" or "Declare" or "ClearDeclaration" or "Probe"
        : type == typeof(IDeploymentDirectoryGrain) ? method is "List"
        : type == typeof(IAtomGrain) ? method is "IsResident"
        // Orleans' management grain: operators read the membership (`adamec cluster status`).
        : type.FullName == "Orleans.Runtime.IManagementGrain" && method is "GetHosts" or "GetDetailedHosts";

    private static bool InitiatorMethod(Type type, string method) =>
        type == typeof(IPlannerGrain) ? method is "Deploy" or "GetPlan" or "GetStatus" or "GetHistory" or "SetLatencyRequirement" or "Replan"
        : type == typeof(IAtomGrain) ? method is "Run" or "IsResident"
        : type == typeof(ILinkGrain) ? method is "RecordTransfer" or "Get"
        // Measured latency for the operator page (a view, not a decision input).
        : type == typeof(ILatencyLogGrain) ? method is "Record"
        : type == typeof(IDeviceGrain) && method is "GetStatus";

    private static bool Initiator(GrainCall call, string method, string name)
    {
        if (!InitiatorMethod(call.Interface, method)) return false;
        if (call.Owner is { } owner && owner != name) return false;
        if (call.Interface == typeof(IPlannerGrain))
            return method != "Deploy" || call.Arguments is [DeploymentRequest { Initiator.DeviceId: var initiator }] && initiator == name;
        if (call.Interface == typeof(IAtomGrain))
        {
            if (method != "Run") return true;
            // The request must be this initiator's and for the deployment the atom key names.
            return call.Arguments is [ForwardRequest request] && request.Initiator == name
                && TryDeploymentOf(call.Key, out var deployment) && deployment == request.Deployment;
        }
        if (call.Interface == typeof(ILinkGrain))
            return GrainKeys.TryParseLink(call.Key, out var from, out var to) && (from == name || to == name);
        return true;
    }

    private static bool TryDeploymentOf(string key, out string deployment)
    {
        try
        {
            deployment = GrainKeys.ParseAtom(key).Deployment;
            return true;
        }
        catch (ArgumentException)
        {
            deployment = "";
            return false;
        }
    }
}
