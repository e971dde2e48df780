namespace AdaMec.Core.Context;

/// <summary>One probe round: sends payloads of the given sizes over the link, returns each one's time, ms.</summary>
public delegate Task<IReadOnlyList<double>> LinkProbeRound(IReadOnlyList<int> sizes, CancellationToken cancellationToken);

/// <summary>
/// Active probing of a link: rounds of one small and one large payload, the large one resized after
/// each round from the fit so far, bounded in rounds and in time. The transport (a grain call between
/// two silos, a client call, a socket) is the caller's.
/// </summary>
public static class LinkProber
{
    /// <summary>
    /// Runs up to <see cref="LinkProbeOptions.Rounds"/> rounds; stops early once <see cref="LinkProbeOptions.Budget"/>
    /// is spent (the round under way finishes). Returns the samples measured, stamped with <paramref name="time"/>.
    /// </summary>
    /// <param name="round">Sends one round.</param>
    /// <param name="history">Samples the link already has: the first round's large payload is sized from their fit.</param>
    /// <param name="options">Payload sizes, rounds and time budget.</param>
    /// <param name="time">Stamps samples and keeps the budget.</param>
    /// <param name="cancellationToken">Passed to each round.</param>
    public static async Task<IReadOnlyList<LinkSample>> RunAsync(LinkProbeRound round, IReadOnlyList<LinkSample> history, LinkProbeOptions options,
        TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        var measured = new List<LinkSample>();
        var soFar = LinkEstimator.Fit(history) is { Separated: true } prior ? prior.Mbps : (double?)null;
        for (var i = 0; i < Math.Max(1, options.Rounds); i++)
        {
            if (i > 0 && time.GetElapsedTime(started) >= options.Budget) break;
            var (small, large) = LinkProbing.Sizes(soFar, options);
            int[] sizes = [small, large];
            var ms = await round(sizes, cancellationToken);
            if (ms.Count != sizes.Length) throw new InvalidOperationException($"a probe round of {sizes.Length} payloads returned {ms.Count} times");
            var at = time.GetUtcNow();
            for (var k = 0; k < sizes.Length; k++)
            {
                var sample = new LinkSample(sizes[k], ms[k], at);
                if (LinkEstimator.Usable(sample)) measured.Add(sample);
            }
            if (LinkEstimator.Fit(measured) is { Separated: true } fit) soFar = fit.Mbps;
        }
        return measured;
    }
}
