using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AdaMec.Bench.Fuzz;

/// <summary>What to run.</summary>
public sealed record FuzzSettings
{
    /// <summary>Mutated inputs per target.</summary>
    public int Inputs { get; init; } = 10_000;

    /// <summary>FsCheck seed: the same seed gives the same inputs.</summary>
    public ulong Seed { get; init; } = 20261204;

    /// <summary>Targets by name (empty: all).</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>One input running longer than this is a hang (the target is abandoned).</summary>
    public TimeSpan HangLimit { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes one input may allocate beyond <see cref="AllocationPerInputByte"/> times its size.</summary>
    public long AllocationFloor { get; init; } = 64L << 20;

    /// <summary>Bytes one input may allocate per byte of input (parsers build trees and strings).</summary>
    public int AllocationPerInputByte { get; init; } = 64;
}

/// <summary>One failing input: which, how it was made, and what happened.</summary>
public sealed record FuzzFailure(int Input, string Kind, string Case, string Error);

/// <summary>One target's run.</summary>
public sealed record FuzzTargetResult(
    string Target, string Calls, int Inputs, int ClearErrors, int Accepted, int Crashes, int Hangs, int OverAllocations,
    double MaxMs, double MeanMs, long MaxAllocatedBytes, IReadOnlyList<FuzzFailure> Failures)
{
    /// <summary>No crash, hang or allocation over the bound.</summary>
    public bool Clean => Crashes == 0 && Hangs == 0 && OverAllocations == 0;
}

/// <summary>The run.</summary>
public sealed record FuzzReport(string Date, string Machine, ulong Seed, IReadOnlyList<FuzzTargetResult> Results)
{
    /// <summary>Every target clean.</summary>
    public bool Clean => Results.All(r => r.Clean);
}

/// <summary>
/// Runs each target on the inputs FsCheck draws from its seed: each input is timed, its allocations
/// counted (<see cref="GC.GetAllocatedBytesForCurrentThread"/>) and its outcome classified (accepted,
/// clear error, crash). A target runs on a thread of its own and a watchdog declares a hang when one
/// input runs past <see cref="FuzzSettings.HangLimit"/> (the thread is abandoned: .NET cannot stop it).
/// </summary>
public static class FuzzRunner
{
    private const int FailuresKept = 5;

    /// <summary>Runs the targets the settings name.</summary>
    /// <exception cref="ArgumentException">An unknown target or a count out of range, naming the option.</exception>
    public static FuzzReport Run(FuzzSettings settings, TextWriter? progress = null, IReadOnlyList<FuzzTarget>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Inputs < 1) throw new ArgumentException($"--inputs must be at least 1, got {settings.Inputs}");
        foreach (var name in settings.Targets)
        {
            if (!FuzzTargets.Names.Contains(name, StringComparer.Ordinal))
                throw new ArgumentException($"--targets: unknown target '{name}'; use {string.Join(", ", FuzzTargets.Names)}");
        }
        var chosen = (targets ?? FuzzTargets.All()).Where(t => settings.Targets.Count == 0 || settings.Targets.Contains(t.Name)).ToArray();
        var results = new List<FuzzTargetResult>();
        foreach (var target in chosen)
        {
            var result = RunTarget(target, settings);
            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target.Name}: {result.Inputs} inputs, {result.ClearErrors} clear errors, {result.Accepted} accepted, {result.Crashes} crashes, {result.Hangs} hangs, max {result.MaxMs:0.0} ms"));
            results.Add(result);
        }
        return new FuzzReport(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}", settings.Seed, results);
    }

    /// <summary>Runs one target on <see cref="FuzzSettings.Inputs"/> inputs.</summary>
    public static FuzzTargetResult RunTarget(FuzzTarget target, FuzzSettings settings)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(settings);
        // Each target gets its own stream of cases: adding a target does not change another's inputs.
        var cases = Mutations.Cases(target.SeedCount, settings.Inputs, settings.Seed ^ (ulong)StableHash(target.Name));
        var tally = new Tally();
        var worker = new Thread(() => tally.RunAll(target, cases, settings)) { IsBackground = true, Name = $"fuzz {target.Name}" };
        worker.Start();
        while (!worker.Join(100))
        {
            var started = Volatile.Read(ref tally.CurrentStart);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > settings.HangLimit)
            {
                var index = Volatile.Read(ref tally.Current);
                lock (tally) tally.Add(new FuzzFailure(index, "hang", cases[index].ToString(), $"still running after {settings.HangLimit.TotalSeconds:0} s"));
                tally.Hangs++;
                break; // abandoned: the remaining inputs are not run
            }
        }
        lock (tally)
        {
            return new FuzzTargetResult(target.Name, target.Calls, tally.Done, tally.ClearErrors, tally.Accepted, tally.Crashes, tally.Hangs,
                tally.OverAllocations, tally.MaxMs, tally.Done == 0 ? 0 : tally.TotalMs / tally.Done, tally.MaxAllocated, tally.Failures.ToArray());
        }
    }

    private sealed class Tally
    {
        public long CurrentStart;
        public int Current;
        public int Done, ClearErrors, Accepted, Crashes, Hangs, OverAllocations;
        public double MaxMs, TotalMs;
        public long MaxAllocated;
        public readonly List<FuzzFailure> Failures = [];

        public void Add(FuzzFailure failure)
        {
            if (Failures.Count < FailuresKept) Failures.Add(failure);
        }

        public void RunAll(FuzzTarget target, FuzzCase[] cases, FuzzSettings settings)
        {
            for (var i = 0; i < cases.Length; i++)
            {
                object input;
                try
                {
                    input = target.Prepare(cases[i]);
                }
                catch (Exception e)
                {
                    // A fault of the harness, not of the code under test: reported, never hidden.
                    lock (this)
                    {
                        Crashes++;
                        Add(new FuzzFailure(i, "harness", cases[i].ToString(), $"{e.GetType().Name}: {e.Message}"));
                    }
                    return;
                }
                var allowed = settings.AllocationFloor + settings.AllocationPerInputByte * target.SizeOf(input);
                Volatile.Write(ref Current, i);
                var before = GC.GetAllocatedBytesForCurrentThread();
                var started = Stopwatch.GetTimestamp();
                Volatile.Write(ref CurrentStart, started);
                string? error = null;
                Exception? crash = null;
                try
                {
                    error = target.Run(input);
                }
                catch (Exception e)
                {
                    crash = e;
                }
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Volatile.Write(ref CurrentStart, 0);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                lock (this)
                {
                    Done++;
                    TotalMs += ms;
                    MaxMs = Math.Max(MaxMs, ms);
                    MaxAllocated = Math.Max(MaxAllocated, allocated);
                    if (crash is not null)
                    {
                        Crashes++;
                        Add(new FuzzFailure(i, "crash", cases[i].ToString(), $"{crash.GetType().Name}: {crash.Message} {Where(crash)}"));
                    }
                    else if (error is null) Accepted++;
                    else if (string.IsNullOrWhiteSpace(error))
                    {
                        Crashes++; // an error that says nothing is not a clear error
                        Add(new FuzzFailure(i, "crash", cases[i].ToString(), "an empty error message"));
                    }
                    else ClearErrors++;
                    if (allocated > allowed)
                    {
                        OverAllocations++;
                        Add(new FuzzFailure(i, "allocation", cases[i].ToString(), $"allocated {allocated:N0} bytes, over {allowed:N0}"));
                    }
                }
            }
        }
    }

    /// <summary>The innermost frames of a crash, so the table says where it happened.</summary>
    private static string Where(Exception crash) =>
        string.Join(" ", (crash.StackTrace ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Take(3));

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text) hash = unchecked(hash * 31 + c);
        return hash;
    }

    /// <summary>The report as a Markdown table with the failures below it.</summary>
    public static string ToTable(FuzzReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# bench fuzz, {report.Date}, {report.Machine}, seed {report.Seed}");
        text.AppendLine("| target | calls | inputs | clear errors | accepted | crashes | hangs | over alloc | max ms | mean ms | max alloc KiB |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in report.Results)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Target} | {r.Calls} | {r.Inputs} | {r.ClearErrors} | {r.Accepted} | {r.Crashes} | {r.Hangs} | {r.OverAllocations} | {r.MaxMs:0.00} | {r.MeanMs:0.000} | {r.MaxAllocatedBytes / 1024.0:0} |");
        foreach (var r in report.Results)
        {
            foreach (var f in r.Failures)
                text.AppendLine(CultureInfo.InvariantCulture, $"- {r.Target} input {f.Input} ({f.Case}): {f.Kind}: {f.Error}");
        }
        return text.ToString().TrimEnd();
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The report as JSON.</summary>
    public static string ToJson(FuzzReport report) => JsonSerializer.Serialize(report, Json);
}
