using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Deployments;

/// <summary>
/// Carries out a <see cref="DeploymentMachine"/>'s work as a cluster that always succeeds would: re-plans on a
/// context where every device runs at <c>edgeSpeed</c> with room to spare and every link has <c>linkMbps</c> and
/// 1 ms, offloads arrive, releases are done.
/// </summary>
internal static class MachineDriver
{
    /// <summary>Runs the machine's work until it is idle with nothing scheduled (at most 100 steps), moving fake time to each wake-up.</summary>
    public static void Settle(DeploymentMachine machine, FakeTimeProvider time, double edgeSpeed = 1, double linkMbps = 100)
    {
        for (var i = 0; i < 100; i++)
        {
            var work = machine.NextWork();
            if (work is IdleWork { WakeAt: null }) return;
            if (work is IdleWork { WakeAt: { } wake }) time.Advance(wake - time.GetUtcNow());
            else Run(machine, work, edgeSpeed, linkMbps);
        }
    }

    /// <summary>Carries out one item of work.</summary>
    public static void Run(DeploymentMachine machine, DeploymentWork work, double edgeSpeed = 1, double linkMbps = 100)
    {
        switch (work)
        {
            case ReplanWork replan:
                var devices = machine.Devices.Select(d => new DeviceContext(d, edgeSpeed, null, null, 1_000_000_000, [])).ToArray();
                var all = machine.Devices.Append(machine.Initiator.DeviceId).ToArray();
                var links = all.SelectMany(f => all.Where(t => t != f).Select(t => new LinkContext(f, t, linkMbps, 1))).ToArray();
                var request = machine.PreparePlan(replan, new ContextSnapshot(devices, links));
                machine.Decided(request, Planner.Decide(request.Problem, request.Strategy));
                break;
            case OffloadWork offload:
                machine.AtomResident(offload.Atom, offload.To, 1000);
                break;
            case ReleaseWork release:
                machine.SourceReleased(release.Atom, release.Device);
                break;
        }
    }
}
