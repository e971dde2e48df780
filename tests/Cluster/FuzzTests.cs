using AdaMec.Bench.Fuzz;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// The suite's short fuzz run (`adamec bench fuzz` runs 10,000 inputs per target): every parser and
/// grain entry point gets mutated inputs and answers each with a result or a clear error; the harness
/// itself reports crashes, hangs and allocations it is shown; and a real atom grain answers mutated
/// load and forward requests with clear errors only and keeps serving.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("adamec-fuzz-").FullName;

    [Fact]
    public void ShortRun_EveryTarget_OnlyResultsOrClearErrors()
    {
        var report = FuzzRunner.Run(new FuzzSettings { Inputs = 400, Seed = 42 });

        Assert.Equal(FuzzTargets.Names, report.Results.Select(r => r.Target));
        Assert.All(report.Results, r =>
        {
            Assert.True(r.Clean, FuzzRunner.ToTable(report));
            Assert.Equal(400, r.Inputs);
            Assert.Equal(r.Inputs, r.ClearErrors + r.Accepted);
            // Both sides reached: mutations that break the input and ones the parser still accepts.
            Assert.True(r.ClearErrors > 0, $"{r.Target}: no mutated input was refused");
            Assert.True(r.Accepted > 0, $"{r.Target}: no mutated input was accepted");
        });
    }

    [Fact]
    public void Corpus_EverySeed_IsAcceptedUnmutated()
    {
        foreach (var target in FuzzTargets.All().OfType<BytesTarget>())
        {
            foreach (var seed in target.Seeds)
                Assert.True(target.Run(seed) is null, $"{target.Name}: a seed is refused: {target.Run(seed)}");
        }
    }

    private static readonly string[] Sections = ["Device", "Emulation", "Planner", "Links", "Silo", "Limits"];

    [Fact]
    public void Corpus_ConfigurationSeed_IsAValidSiloConfigurationWithEverySection()
    {
        var seed = FuzzCorpus.Files("configuration")[0];
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(seed)).Build();

        Assert.Null(SiloConfiguration.Validate(configuration));
        Assert.All(Sections, section => Assert.True(configuration.GetSection(section).Exists(), section));
    }

    [Fact]
    public void Cases_SameSeed_SameInputs()
    {
        Assert.Equal(Mutations.Cases(3, 50, 9).Select(c => c.ToString()), Mutations.Cases(3, 50, 9).Select(c => c.ToString()));
        Assert.NotEqual(Mutations.Cases(3, 50, 9).Select(c => c.ToString()), Mutations.Cases(3, 50, 10).Select(c => c.ToString()));
    }

    [Fact]
    public void Runner_CrashHangAndAllocation_AreReported()
    {
        using var release = new ManualResetEventSlim();
        byte[][] seeds = ["{\"a\":1}"u8.ToArray()];
        var crashing = new BytesTarget("crashing", "test", seeds, data => data.Length % 2 == 0 ? throw new KeyNotFoundException("boom") : "refused");
        var hanging = new BytesTarget("hanging", "test", seeds, _ => release.Wait(TimeSpan.FromMinutes(1)) ? null : null);
        var allocating = new BytesTarget("allocating", "test", seeds, _ => new byte[8 << 20].Length > 0 ? null : "never");
        var settings = new FuzzSettings { Inputs = 200, HangLimit = TimeSpan.FromMilliseconds(300), AllocationFloor = 1 << 20, AllocationPerInputByte = 1 };

        var crashes = FuzzRunner.RunTarget(crashing, settings);
        var hangs = FuzzRunner.RunTarget(hanging, settings);
        release.Set(); // the abandoned input returns, its thread ends
        var allocations = FuzzRunner.RunTarget(allocating, settings);

        Assert.True(crashes.Crashes > 0 && crashes.ClearErrors > 0 && !crashes.Clean);
        Assert.Contains("KeyNotFoundException: boom", crashes.Failures[0].Error);
        Assert.Equal(1, hangs.Hangs);
        Assert.Equal("hang", Assert.Single(hangs.Failures).Kind);
        Assert.Equal(200, allocations.OverAllocations);
        Assert.False(allocations.Clean);
    }

    [Fact]
    public void Run_UnknownTarget_RefusedNamingTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => FuzzRunner.Run(new FuzzSettings { Targets = ["nope"] }));

        Assert.Contains("--targets", error.Message);
    }

    [Fact]
    public async Task AtomGrain_MutatedLoadAndForwardRequests_ClearErrorsOnlyAndTheSiloServesOn()
    {
        await using var cluster = await DevCluster.StartAsync([new DevSilo("edge1")], Path.Combine(_root, "cache"), "fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        var grains = cluster.Services("edge1").GetRequiredService<IGrainFactory>();

        // Loads: valid or not, none carries the initiator callback, so every one ends in a clear error;
        // a refused one names the field the validation names.
        var load = FuzzTargets.AtomLoad();
        foreach (var fuzzCase in Mutations.Cases(load.SeedCount, 150, 11))
        {
            var input = (FuzzTargets.LoadCase)load.Prepare(fuzzCase);
            var error = await Assert.ThrowsAsync<AdaMecException>(() => grains.GetGrain<IAtomGrain>(input.Key).LoadAsync(input.Request));
            Assert.Contains(load.Run(input) ?? "initiator: missing", error.Message, StringComparison.Ordinal);
        }

        // Forwards: the grain takes each (refused ones are logged, valid ones find the atom not resident).
        var forward = FuzzTargets.Forward();
        foreach (var fuzzCase in Mutations.Cases(forward.SeedCount, 150, 12))
        {
            var input = (FuzzTargets.ForwardCase)forward.Prepare(fuzzCase);
            await grains.GetGrain<IAtomGrain>(input.Key).RunAsync(input.Request);
        }

        // Nothing became resident, and the silo still answers.
        foreach (var index in new[] { 0, 5, 7 })
            Assert.False(await grains.GetGrain<IAtomGrain>(GrainKeys.Atom("phone/alexnet", index, "edge1")).IsResidentAsync());
        Assert.Empty((await grains.GetGrain<IDeviceGrain>("edge1").GetStatusAsync()).ResidentAtoms);
    }

    [Fact]
    public async Task DeviceAndLinkGrains_MutatedBudgetsDeclarationsAndSamples_ClearErrorsAndUnusableSamplesCounted()
    {
        await using var cluster = await DevCluster.StartAsync([new DevSilo("edge1")], Path.Combine(_root, "cache"), "fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        var grains = cluster.Services("edge1").GetRequiredService<IGrainFactory>();
        var link = GrainKeys.Link("edge1", "fuzz-" + Guid.NewGuid().ToString("N")[..6]);
        var refused = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "adamec.link.samples.refused") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "adamec.link" && Equals(tag.Value, link)) Interlocked.Add(ref refused, value);
            }
        });
        listener.Start();

        // Budgets at the device grain: refused exactly when the validation refuses, naming the same field.
        var budgets = FuzzTargets.DeviceBudgets();
        var device = grains.GetGrain<IDeviceGrain>("edge1");
        foreach (var fuzzCase in Mutations.Cases(budgets.SeedCount, 60, 13))
        {
            var input = (FuzzTargets.BudgetsCase)budgets.Prepare(fuzzCase);
            if (ContextReportValidation.Budgets(input.Budgets) is { } problem)
                Assert.Contains(problem, (await Assert.ThrowsAsync<AdaMecException>(() => device.SetBudgetsAsync(input.Budgets))).Message, StringComparison.Ordinal);
            else
                await device.SetBudgetsAsync(input.Budgets);
        }

        // Declarations and transfer samples at a link grain: bad declarations refused by field; unusable samples counted.
        var reports = FuzzTargets.LinkReports();
        var grain = grains.GetGrain<ILinkGrain>(link);
        var unusable = 0;
        foreach (var fuzzCase in Mutations.Cases(reports.SeedCount, 60, 14))
        {
            var input = (FuzzTargets.LinkCase)reports.Prepare(fuzzCase);
            if (ContextReportValidation.Declaration(input.Mbps, input.LatencyMs) is { } problem)
                Assert.Contains(problem, (await Assert.ThrowsAsync<AdaMecException>(() => grain.DeclareAsync(input.Mbps, input.LatencyMs))).Message, StringComparison.Ordinal);
            if (ContextReportValidation.Transfer(input.Sample) is not null) unusable++;
            await grain.RecordTransferAsync(input.Sample);
        }
        await grain.GetAsync(); // one-way reports before it have been processed (one activation, in order)

        Assert.True(unusable > 0, "no unusable sample was generated");
        Assert.Equal(unusable, Interlocked.Read(ref refused));
        Assert.Empty((await device.GetStatusAsync()).ResidentAtoms);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
