using AdaMec.Interfaces;
using Orleans.Runtime;

namespace AdaMec.Client;

/// <summary>Active probes of the links between silos, for operators (`adamec cluster probe`) and benchmarks.</summary>
public static class ClusterLinks
{
    /// <summary>
    /// Probes link <paramref name="from"/>-&gt;<paramref name="to"/>, or with both null every ordered pair
    /// of active silos, one link at a time (links sharing a path would slow each other's probes); a
    /// probe replaces the link's earlier probe samples. Returns the new estimates.
    /// </summary>
    /// <exception cref="AdaMecException">Only one of the two ends is given, or a link cannot be probed (an end has no active silo).</exception>
    public static async Task<IReadOnlyList<LinkStatusRow>> ProbeAsync(IClusterClient cluster, string? from = null, string? to = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if ((from is null) != (to is null))
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, "give both ends of the link (--from and --to), or neither to probe every link between silos");
        IEnumerable<(string From, string To)> pairs;
        if (from is not null)
        {
            pairs = [(from, to!)];
        }
        else
        {
            var hosts = await cluster.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true, cancellationToken);
            var devices = hosts.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            pairs = devices.SelectMany(a => devices.Where(b => b != a).Select(b => (a, b)));
        }
        var rows = new List<LinkStatusRow>();
        foreach (var (a, b) in pairs)
        {
            var e = await cluster.GetGrain<ILinkGrain>(GrainKeys.Link(a, b)).ProbeAsync().WaitAsync(cancellationToken);
            rows.Add(new LinkStatusRow(e.From, e.To, e.Mbps, e.LatencyMs, e.Source, e.Samples, e.AgeSeconds));
        }
        return rows;
    }
}
