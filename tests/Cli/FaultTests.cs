using AdaMec.Bench.Faults;
using Xunit.Abstractions;

namespace AdaMec.Cli.Tests;

/// <summary>Skips, saying why, where the fault bench cannot run (not Linux, not root, no PostgreSQL server programs).</summary>
public sealed class FaultFactAttribute : FactAttribute
{
    public FaultFactAttribute()
    {
        if (FaultCluster.WhyNot() is { } why) Skip = why;
    }
}

/// <summary>
/// The faults of `adamec bench faults`, shorter, run once for the class (one cluster start, one
/// partition): three real adamec-silo processes on a private PostgreSQL server, a client in this
/// process sending 20 requests/s, each fault in turn from the same state.
/// </summary>
public sealed class FaultRuns : IAsyncLifetime
{
    /// <summary>Requests per fault, at least (the bench's default is 500).</summary>
    public const int Requests = 120;

    /// <summary>
    /// Requests per second, open-loop (the bench's default is 20). The tests check that each fault is
    /// recovered from with nothing lost, which needs a load the devices left after a fault can carry:
    /// above it the queue grows for as long as the fault lasts, whatever the recovery does. The phone
    /// does not shed load yet, so on a slow 2-core machine 20 per second overran it (docs/faults.md).
    /// </summary>
    public const double RatePerSecond = 10;

    private readonly System.Text.StringBuilder _log = new();

    public IReadOnlyDictionary<string, FaultResult> Results { get; private set; } = new Dictionary<string, FaultResult>();

    /// <summary>What the bench said while it ran (progress, and the silos' last lines on a broken promise).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public async Task InitializeAsync()
    {
        if (FaultCluster.WhyNot() is not null) return; // every test skips
        var settings = new FaultBenchSettings(Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"), Path.Combine(AppContext.BaseDirectory, "adamec.dll"))
        {
            Requests = Requests,
            RatePerSecond = RatePerSecond,
        };
        using var log = new StringWriter(_log);
        Results = (await FaultBench.RunAsync(settings, TextWriter.Synchronized(log))).ToDictionary(r => r.Fault);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Every request answers (a result that matches the local chain, or an explicit error), the fault is
/// detected and recovered from, and every request sent after the recovery succeeds.
/// </summary>
public sealed class FaultTests(FaultRuns runs, ITestOutputHelper output) : IClassFixture<FaultRuns>
{
    [FaultFact]
    public void KillSilo_UnderTraffic_DeclaredDeadNoRequestLostAllSucceedAfterReplan()
    {
        var result = Result("kill-silo");

        Assert.NotNull(result.DetectionS);
        AssertRecovered(result);
        // Requests were sent on the re-planned cluster of the two devices left, and all of them succeeded.
        Assert.True(result.OkAfterRecovery >= FaultContext.RequestsAfter, $"{result.OkAfterRecovery} requests succeeded after the re-plan");
    }

    [FaultFact]
    public void FreezeSilo_SigstopThenSigcont_DeclaredDeadAtomsReplacedAndItGetsWorkAgain()
    {
        var result = Result("sigstop-silo");

        Assert.NotNull(result.DetectionS);
        AssertRecovered(result); // the problem says so when it did not get its pinned atoms back
        // After SIGCONT it restarted, rejoined and ran atoms of requests again.
        Assert.True(result.RanOnRejoined > 0, $"{result.RanOnRejoined} requests ran on the thawed silo after it was back");
    }

    [FaultFact]
    public void RestartPostgres_UnderTraffic_RequestsContinueAndMembershipRecovers()
    {
        var result = Result("restart-postgres");

        AssertRecovered(result);
        Assert.Equal(0, result.Failed);
    }

    [FaultFact]
    public void KillPlannerSilo_UnderTraffic_PinAndHistorySurviveAndServingResumes()
    {
        var result = Result("kill-planner-silo");

        Assert.NotNull(result.DetectionS);
        AssertRecovered(result); // the problem names a lost pin or a shorter history
    }

    [FaultFact]
    public void CorruptWeights_InOneDevicesCache_RejectedRepulledNeverExecuted()
    {
        var result = Result("corrupt-weights");

        Assert.NotNull(result.DetectionS); // the silo said it rejected the cached file
        AssertRecovered(result); // the problem says so when the file was not re-pulled
        Assert.Equal(0, result.Failed); // every result matched the local chain: the bad bytes never ran
    }

    private FaultResult Result(string fault)
    {
        output.WriteLine(FaultBench.ToTable([.. runs.Results.Values]));
        Assert.True(runs.Results.TryGetValue(fault, out var result), $"{fault} did not run:\n{runs.Log}");
        if (!result.Clean) output.WriteLine(runs.Log);
        return result;
    }

    private static void AssertRecovered(FaultResult result)
    {
        Assert.Null(result.Problem);
        Assert.Equal(0, result.Lost);
        Assert.NotNull(result.RecoveryS);
        Assert.Equal(0, result.FailedAfterRecovery);
        Assert.True(result.Requests >= FaultRuns.Requests, $"{result.Requests} requests sent");
    }
}

/// <summary>The report's JSON: exactly the documented fields, scripts rely on them.</summary>
public sealed class FaultReportTests
{
    [Fact]
    public void ToJson_TwoResults_ExactlyTheDocumentedFieldsNullWhereNotMeasured()
    {
        var json = FaultBench.ToJson([
            new FaultResult("kill-silo", 500, 498, 2, 0, 812.5, 0.9, 20.7) { Notes = ["not in the JSON"] },
            new FaultResult("restart-postgres", 500, 500, 0, 0, 95, null, 12.6),
        ]);

        using var document = System.Text.Json.JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(["results"], root.EnumerateObject().Select(p => p.Name));
        var rows = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Equal(["fault", "requests", "ok", "failed", "lost", "p99Ms", "detectionS", "recoveryS"], r.EnumerateObject().Select(p => p.Name)));
        Assert.Equal("kill-silo", rows[0].GetProperty("fault").GetString());
        Assert.Equal(2, rows[0].GetProperty("failed").GetInt32());
        Assert.Equal(812.5, rows[0].GetProperty("p99Ms").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[1].GetProperty("detectionS").ValueKind);
        Assert.Equal(12.6, rows[1].GetProperty("recoveryS").GetDouble());
    }

    [Fact]
    public void P99_HundredLatencies_NearestRank()
    {
        Assert.Equal(99, FaultBench.P99([.. Enumerable.Range(1, 100).Select(i => (double)i)]));
        Assert.Equal(0, FaultBench.P99([]));
    }
}
