using Microsoft.Extensions.Logging;

namespace AdaMec.Grains;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Activation {Grain} is on device {Actual} but its key names {Expected}; migrating it back")]
    public static partial void Misplaced(ILogger logger, string grain, string actual, string expected);

    [LoggerMessage(5, LogLevel.Information, "Deployment {Deployment} re-planned ({Trigger}) with {Strategy} in {DecisionMs:0.00} ms: [{Plan}] predicted {LatencyMs:0.0} ms, feasible {Feasible}")]
    public static partial void Replanned(ILogger logger, string deployment, string trigger, string strategy, double decisionMs, string plan, double latencyMs, bool feasible);

    [LoggerMessage(6, LogLevel.Information, "Deployment {Deployment}: atom {Atom} now runs on {Device} (plan v{Version})")]
    public static partial void Switched(ILogger logger, string deployment, int atom, string device, int version);

    [LoggerMessage(7, LogLevel.Warning, "Deployment {Deployment}: offloading atom {Atom} to {Device} failed; re-planning")]
    public static partial void OffloadFailed(ILogger logger, Exception exception, string deployment, int atom, string device);

    [LoggerMessage(8, LogLevel.Information, "Deployment {Deployment}: devices changed ({Change})")]
    public static partial void MembershipChanged(ILogger logger, string deployment, string change);

    [LoggerMessage(12, LogLevel.Warning, "Deployment {Deployment}: re-planning for a device change ({Change}) failed; trying again at the next membership poll")]
    public static partial void MembershipReplanFailed(ILogger logger, Exception exception, string deployment, string change);

    [LoggerMessage(10, LogLevel.Warning, "Could not tell the initiator of {Deployment} about plan v{Version}")]
    public static partial void NotifyFailed(ILogger logger, Exception exception, string deployment, int version);
}
