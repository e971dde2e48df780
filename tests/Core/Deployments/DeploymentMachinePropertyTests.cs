using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// Random input sequences (FsCheck draws the tape and shrinks it on failure) against the simulated
/// cluster in <see cref="DeploymentSimulation"/>, which checks after every input: the live plan only
/// names resident atoms or the initiator; no atom is moved twice towards one target; failed loads of
/// a pair stay within MaxRetries + 1 until lifted; a departed device's atoms fall back at once (and the
/// initiator is told); an eviction takes the atom off the live plan at once and a re-plan comes before
/// any offload; releases never hit a copy the live plan uses; history stays bounded; a saved and
/// restored machine equals the original.
/// </summary>
public sealed class DeploymentMachinePropertyTests
{
    [Property(MaxTest = 300)]
    public bool Machine_RandomInputs_KeepsEveryInvariant(int seed, byte[] tape)
    {
        var simulation = Run(seed, tape);
        simulation.Drain();
        return Report(simulation);
    }

    [Property(MaxTest = 300)]
    public bool Machine_RandomInputsThenQuiet_HonoursThePinWhileItsDevicesLive(int seed, byte[] tape)
    {
        var simulation = Run(seed, tape);
        if (simulation.Machine.Pin is null)
        {
            // Pin something among the devices alive now, so every run checks a pin.
            var devices = simulation.Active.Append(DeploymentSimulation.Phone).ToArray();
            simulation.Machine.SetPin(Enumerable.Range(0, simulation.Machine.Live.Count).Select(i => devices[(int)((uint)(seed + i) % (uint)devices.Length)]).ToArray());
        }
        simulation.Drain();
        return simulation.PinHonoured() && Report(simulation);
    }

    [Property(MaxTest = 200)]
    public bool Machine_AnyInputs_GoesIdleWithLiveEqualToTargetOnceInputsStop(int seed, byte[] tape)
    {
        var simulation = Run(seed, tape);
        if (simulation.Drain() < 0) return Report(simulation);
        var machine = simulation.Machine;
        // Quiet: live reaches the target, except atoms given up on (blocked) which stay where they are.
        var settled = Enumerable.Range(0, machine.Live.Count).All(i => machine.Live[i] == machine.Target[i] || machine.IsBlocked(i, machine.Target[i]));
        return settled && Report(simulation);
    }

    [Fact]
    public void Simulation_RandomTapes_ExercisesMovesReplansAndFailures()
    {
        // Guards the properties above against passing vacuously: the simulated runs really move atoms.
        var random = new Random(1);
        int moves = 0, replans = 0;
        for (var run = 0; run < 40; run++)
        {
            var tape = new byte[2 * random.Next(5, 60)];
            random.NextBytes(tape);
            var simulation = Run(run, tape);
            simulation.Drain();
            Assert.True(Report(simulation));
            moves += simulation.Moves;
            replans += simulation.Replans;
        }
        Assert.True(moves > 100, $"only {moves} moves");
        Assert.True(replans > 100, $"only {replans} re-plans");
    }

    private static DeploymentSimulation Run(int seed, byte[] tape)
    {
        var simulation = new DeploymentSimulation(seed);
        simulation.Deploy(changedManifest: false);
        tape ??= [];
        for (var k = 0; k + 1 < tape.Length; k += 2) simulation.Apply(tape[k], tape[k + 1]);
        return simulation;
    }

    private static bool Report(DeploymentSimulation simulation)
    {
        if (simulation.Failures.Count == 0) return true;
        throw new InvalidOperationException(string.Join(Environment.NewLine, simulation.Failures.Distinct().Take(10)));
    }
}

/// <summary>Hand-picked cases that name the behaviour the properties sample.</summary>
public sealed class DeploymentMachineTests
{
    private static readonly DeploymentModel Model = new("m1", 1000, [
        new DeploymentAtom("a0", 1e6, 1000, 2000, 100, 5, "s0"),
        new DeploymentAtom("a1", 1e6, 1000, 2000, 100, 5, "s1"),
    ]);

    private static readonly DeploymentInitiator Phone = new("phone", 1, null, null);

    [Fact]
    public void Deploy_AnotherInitiatorSameId_IsRefusedNamingTheOwner()
    {
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), new FakeTimeProvider());
        machine.Deploy(Model, Phone, 100, ["e1"]);

        var error = Assert.Throws<DeploymentException>(() => machine.Deploy(Model, Phone with { DeviceId = "tablet" }, 100, ["e1"]));

        Assert.Equal(DeploymentRefusal.OwnedByAnotherInitiator, error.Refusal);
        Assert.Contains("'phone'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_ChangedManifest_StartsAgainFromTheInitiatorAndReleasesOldCopiesFirst()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions(), time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        machine.SetPin(["e1", "e1"]);
        MachineDriver.Settle(machine, time);
        Assert.Equal(["e1", "e1"], machine.Live);

        var effects = machine.Deploy(Model with { ManifestSha256 = "m2", Atoms = Model.Atoms.Select(a => a with { Sha256 = a.Sha256 + "'" }).ToArray() }, Phone, 100, ["e1"]);

        Assert.Equal(["phone", "phone"], machine.Live);
        Assert.NotNull(effects.Notify);
        Assert.Equal(new ReleaseWork(0, "e1"), machine.NextWork());
    }

    [Fact]
    public void Exhaustive_OnTheMachine_IsJustAnotherStrategyName()
    {
        // The machine runs whatever strategy it is given; refusing `exhaustive` on a silo is the grain options' job.
        Assert.Contains("exhaustive", PlanningStrategies.Names);
    }

    [Fact]
    public void ContextChanged_MeasuredKindTwiceWithinTheInterval_ReplansOnceThenWaits()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions { ContextReplanInterval = TimeSpan.FromSeconds(2) }, time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        MachineDriver.Settle(machine, time);

        machine.ContextChanged(ContextKind.Link, "phone->e1", "link phone->e1 1 Mbps");
        Assert.IsType<ReplanWork>(machine.NextWork());
        MachineDriver.Run(machine, machine.NextWork());
        machine.ContextChanged(ContextKind.Link, "phone->e1", "link phone->e1 2 Mbps");

        var idle = Assert.IsType<IdleWork>(machine.NextWork());
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(2), idle.WakeAt);
        machine.ContextChanged(ContextKind.Budgets, "e1", "budgets of e1");
        Assert.Equal(ContextKind.Budgets, Assert.IsType<ReplanWork>(machine.NextWork()).Kind);
    }

    [Fact]
    public void AtomLoadFailed_RepeatedlyOnOnePair_RetriesWithDoublingDelayThenGivesUp()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromSeconds(1) }, time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        machine.SetPin(["e1", "phone"]);
        MachineDriver.Run(machine, machine.NextWork()); // deploy re-plan
        MachineDriver.Run(machine, machine.NextWork()); // pin re-plan
        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var offload = Assert.IsType<OffloadWork>(machine.NextWork());
            Assert.Equal(attempt, offload.Attempt);
            machine.AtomLoadFailed(0, "e1", "unreachable");
            if (machine.NextWork() is IdleWork { WakeAt: { } wake })
            {
                delays.Add(wake - time.GetUtcNow());
                time.Advance(wake - time.GetUtcNow());
            }
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], delays);
        Assert.Equal(new IdleWork(null), machine.NextWork());
        Assert.True(machine.IsBlocked(0, "e1"));
        Assert.Equal(["phone", "phone"], machine.Target);
    }

    [Fact]
    public void History_MoreDecisionsThanTheLimit_KeepsTheNewest()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", new DeploymentMachineOptions { HistoryLimit = 3 }, time);
        machine.Deploy(Model, Phone, 100, ["e1"]);
        for (var i = 0; i < 5; i++)
        {
            machine.RequestReplan($"r{i}");
            MachineDriver.Settle(machine, time);
        }

        Assert.Equal(6, machine.Sequence);
        Assert.Equal(["r2", "r3", "r4"], machine.History.Select(h => h.Trigger));
    }
}
