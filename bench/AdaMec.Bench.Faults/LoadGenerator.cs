using System.Diagnostics;
using AdaMec.Client;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Bench.Faults;

/// <summary>One request's outcome.</summary>
/// <param name="StartedS">When it was sent, seconds since the load started.</param>
/// <param name="Ok">A result that matches the local chain.</param>
/// <param name="Lost">No answer at all (neither a result nor an error) within the answer deadline.</param>
/// <param name="LatencyMs">Send to answer (result or error), ms; 0 when lost.</param>
/// <param name="Error">The error, or why the result was wrong; null when ok or lost.</param>
/// <param name="Assignment">Where each atom ran (empty unless a result came back).</param>
public sealed record RequestOutcome(double StartedS, bool Ok, bool Lost, double LatencyMs, string? Error, IReadOnlyList<string> Assignment)
{
    /// <summary>An explicit error, or a result that differs from the local chain.</summary>
    public bool Failed => !Ok && !Lost;
}

/// <summary>
/// An open-loop client: sends a request every 1/rate seconds whether or not earlier ones answered (a
/// frozen device must not slow the sender down, or requests that would be lost are never sent), and
/// checks every result against the model run locally. Stop it, then read the outcomes.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    private readonly Deployment _deployment;
    private readonly byte[] _input;
    private readonly byte[] _expected;
    private readonly TimeSpan _period;
    private readonly List<(double StartedS, Task<RequestOutcome> Answer)> _requests = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;

    private LoadGenerator(Deployment deployment, byte[] input, byte[] expected, double ratePerSecond)
    {
        _deployment = deployment;
        _input = input;
        _expected = expected;
        _period = TimeSpan.FromSeconds(1 / ratePerSecond);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts sending at <paramref name="ratePerSecond"/> requests per second, with the expected output computed from <paramref name="atomsFolder"/> here first.</summary>
    public static LoadGenerator Start(AdaMecClient client, Deployment deployment, string atomsFolder, double ratePerSecond)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        var input = TensorBytes.RandomPayload(deployment.Manifest.InputShape, seed: 42);
        var atoms = AtomFiles.LoadAll(client.Backend, atomsFolder, deployment.Manifest);
        byte[] expected;
        try { expected = AtomFiles.Run(atoms, input); }
        finally { foreach (var atom in atoms) atom.Dispose(); }
        return new LoadGenerator(deployment, input, expected, ratePerSecond);
    }

    /// <summary>Seconds since the load started (the clock of <see cref="RequestOutcome.StartedS"/>).</summary>
    public double NowS => _clock.Elapsed.TotalSeconds;

    /// <summary>Requests sent so far.</summary>
    public int Sent
    {
        get { lock (_requests) return _requests.Count; }
    }

    /// <summary>Waits until <paramref name="count"/> requests have been sent.</summary>
    public async Task UntilSentAsync(int count, CancellationToken cancellationToken = default)
    {
        while (Sent < count) await Task.Delay(_period, cancellationToken);
    }

    /// <summary>Stops sending; waits up to <paramref name="answerDeadline"/> for the requests still out, the rest are lost.</summary>
    public async Task<IReadOnlyList<RequestOutcome>> StopAsync(TimeSpan answerDeadline)
    {
        await _stop.CancelAsync();
        await _loop;
        (double StartedS, Task<RequestOutcome> Answer)[] requests;
        lock (_requests) requests = [.. _requests];
        await Task.WhenAny(Task.WhenAll(requests.Select(r => r.Answer)), Task.Delay(answerDeadline));
        return requests.Select(r => r.Answer.IsCompletedSuccessfully ? r.Answer.Result : new RequestOutcome(r.StartedS, false, true, 0, null, [])).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var next = _clock.Elapsed;
        while (!_stop.IsCancellationRequested)
        {
            var started = NowS;
            var request = SendAsync(started);
            lock (_requests) _requests.Add((started, request));
            next += _period;
            var wait = next - _clock.Elapsed;
            if (wait <= TimeSpan.Zero) continue;
            try { await Task.Delay(wait, _stop.Token); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task<RequestOutcome> SendAsync(double startedS)
    {
        await Task.Yield(); // the sender goes on at once
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await _deployment.InferAsync(_input);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var diff = TensorBytes.RelativeDifference(result.Output, _expected);
            return diff < 1e-4
                ? new RequestOutcome(startedS, true, false, ms, null, result.Assignment)
                : new RequestOutcome(startedS, false, false, ms, $"output differs from the local chain (max relative difference {diff:0.###e0})", result.Assignment);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An explicit error is an answer: the caller knows, and can retry or give up.
            return new RequestOutcome(startedS, false, false, Stopwatch.GetElapsedTime(started).TotalMilliseconds, $"{e.GetType().Name}: {e.Message}", []);
        }
    }
}
