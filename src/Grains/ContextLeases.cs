using AdaMec.Interfaces;

namespace AdaMec.Grains;

/// <summary>
/// The planners subscribed to one context grain, each until its lease runs out. Stored with the
/// grain's state, so a collected or restarted context grain still knows whom to tell; a planner
/// that stops renewing (its deployment is gone) drops out once its lease expires.
/// </summary>
[GenerateSerializer, Alias("AdaMec.ContextLeases")]
internal sealed class ContextLeases
{
    /// <summary>The longest lease granted: longer asks are refused (a lease must run out some day).</summary>
    public static readonly TimeSpan MaxLease = TimeSpan.FromDays(365);

    /// <summary>Most live leases one context grain keeps: a planner per deployment, so thousands is far more than a cluster runs.</summary>
    public const int MaxLeases = 4096;

    /// <summary>Deployment id to the time its lease runs out.</summary>
    [Id(0)]
    public Dictionary<string, DateTimeOffset> Expiry { get; set; } = [];

    /// <summary>Grants or renews a lease from <paramref name="now"/>; false when nothing changed.</summary>
    public bool Renew(ContextSubscription subscription, DateTimeOffset now, string grain)
    {
        if (ContextReportValidation.Subscription(subscription, MaxLease) is { } problem)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"subscription to {grain}: {problem}");
        var until = now + subscription!.Lease;
        var pruned = Prune(now);
        // The book is stored with the grain's state: a flood of made-up deployment ids must not grow it without end.
        if (Expiry.Count >= MaxLeases && !Expiry.ContainsKey(subscription.Deployment))
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"subscription to {grain}: deployment: {grain} already holds {MaxLeases} live leases");
        if (Expiry.TryGetValue(subscription.Deployment, out var old) && old == until) return pruned;
        Expiry[subscription.Deployment] = until;
        return true;
    }

    /// <summary>Drops expired leases; true when any went.</summary>
    public bool Prune(DateTimeOffset now)
    {
        var expired = Expiry.Where(e => e.Value <= now).Select(e => e.Key).ToArray();
        foreach (var deployment in expired) Expiry.Remove(deployment);
        return expired.Length > 0;
    }

    /// <summary>Deployments whose lease still runs at <paramref name="now"/>, ordinal order.</summary>
    public IReadOnlyList<string> Live(DateTimeOffset now) =>
        Expiry.Where(e => e.Value > now).Select(e => e.Key).Order(StringComparer.Ordinal).ToArray();
}
