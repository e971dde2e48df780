using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// A device that is an active member but did not answer a re-plan's context gather (a silo that has just joined) is
/// planned without; the machine re-plans again with backoff, a bounded number of times, so the device is offered
/// atoms once it answers.
/// </summary>
public sealed class MissingContextTests
{
    private static readonly DeploymentModel Model = new("m1", 1000, [
        new DeploymentAtom("a0", 1e6, 1000, 2000, 100, 50, "s0"),
        new DeploymentAtom("a1", 1e6, 1000, 2000, 100, 50, "s1"),
    ]);

    private static readonly DeploymentMachineOptions Options = new() { RetryDelay = TimeSpan.FromSeconds(1), MaxRetries = 3 };

    [Fact]
    public void ContextMissing_JoinedDeviceSilentAtTheJoinReplan_ReplansAgainAndMovesAtomsToItOnceItAnswers()
    {
        var (machine, time) = Deployed();
        machine.MembershipChanged(["e1", "e2"]);
        var join = Assert.IsType<ReplanWork>(machine.NextWork());
        Assert.Equal(ReplanCause.Membership, join.Cause);
        Decide(machine, join, answering: ["e1"]); // e2 is a member but its grains cannot be placed yet

        machine.ContextMissing(["e2"]);

        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(1), Assert.IsType<IdleWork>(machine.NextWork()).WakeAt);
        time.Advance(TimeSpan.FromSeconds(1));
        var again = Assert.IsType<ReplanWork>(machine.NextWork());
        Assert.Equal(ReplanCause.Membership, again.Cause);
        Assert.Contains("e2 did not answer", again.Trigger, StringComparison.Ordinal);
        Decide(machine, again, answering: ["e1", "e2"]);
        Assert.Equal(["e2", "e2"], machine.History[^1].NewPlan);
    }

    [Fact]
    public void ContextMissing_DeviceNeverAnswers_RetriesAtMostMaxRetriesTimesWithDoublingDelaysUntilItsMembershipChanges()
    {
        var (machine, time) = Deployed();
        machine.MembershipChanged(["e1", "e2"]);
        Decide(machine, Assert.IsType<ReplanWork>(machine.NextWork()), answering: ["e1"]);
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            machine.ContextMissing(["e2"]);
            if (machine.NextWork() is not IdleWork { WakeAt: { } wake }) break;
            delays.Add(wake - time.GetUtcNow());
            time.Advance(wake - time.GetUtcNow());
            Decide(machine, Assert.IsType<ReplanWork>(machine.NextWork()), answering: ["e1"]);
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], delays);
        Assert.Equal(new IdleWork(null), machine.NextWork());

        machine.MembershipChanged(["e1"]); // e2 left: its count starts afresh when it joins again
        machine.MembershipChanged(["e1", "e2"]);
        Decide(machine, Assert.IsType<ReplanWork>(machine.NextWork()), answering: ["e1"]);
        machine.ContextMissing(["e2"]);
        Assert.IsType<IdleWork>(machine.NextWork());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<ReplanWork>(machine.NextWork());
    }

    [Fact]
    public void ContextMissing_DeviceNotAMemberOrTheInitiator_QueuesNothing()
    {
        var (machine, _) = Deployed();

        machine.ContextMissing(["e2", "phone"]); // e2 has not joined

        Assert.Equal(new IdleWork(null), machine.NextWork());
    }

    private static (DeploymentMachine Machine, FakeTimeProvider Time) Deployed()
    {
        var time = new FakeTimeProvider();
        var machine = new DeploymentMachine("d", Options, time);
        machine.Deploy(Model, new DeploymentInitiator("phone", 10, null, null), 10_000, ["e1"]);
        Decide(machine, Assert.IsType<ReplanWork>(machine.NextWork()), answering: ["e1"]); // e1 is slower than the phone: nothing moves
        Assert.Equal(["phone", "phone"], machine.History[^1].NewPlan);
        return (machine, time);
    }

    /// <summary>Plans on a context in which only <paramref name="answering"/> answered; e2 is the fastest device, e1 slower than the phone.</summary>
    private static void Decide(DeploymentMachine machine, ReplanWork work, string[] answering)
    {
        var devices = answering.Select(d => new DeviceContext(d, d == "e2" ? 0.5 : 20, null, null, 1_000_000_000, [])).ToArray();
        var all = answering.Append("phone").ToArray();
        var links = all.SelectMany(f => all.Where(t => t != f).Select(t => new LinkContext(f, t, 1000, 0))).ToArray();
        var request = machine.PreparePlan(work, new ContextSnapshot(devices, links));
        machine.Decided(request, Planner.Decide(request.Problem, request.Strategy));
    }
}
