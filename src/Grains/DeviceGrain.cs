using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace AdaMec.Grains;

/// <summary>
/// One per device, on that device's silo: budgets, live resources, and the resident atom cache with
/// first-in-first-out eviction under the memory budget (paper §5.2.2) or under live memory pressure.
/// Budgets and planners' subscription leases are durable (grain storage): idle collection or a silo
/// restart loses neither. The resident list is the atoms loaded in this process, so it is not
/// stored; instead the activation is kept alive while any atom is resident.
/// Every atom the device drops on its own (budget or pressure) is reported to its planner; atoms a
/// planner drops itself (EvictAsync, then ReleaseAsync) are not.
/// </summary>
[DevicePlacement]
internal sealed partial class DeviceGrain(
    IOptions<DeviceOptions> device,
    IOptions<EmulationOptions> emulation,
    ILocalSiloDetails silo,
    AdaMec.Runtime.Execution.IExecutionBackend backend,
    TimeProvider time,
    [PersistentState("device", AdaMecStorage.Name)] IPersistentState<DeviceState> state,
    AdaMec.Telemetry.AdaMecMetrics metrics,
    ILogger<DeviceGrain> logger) : Grain, IDeviceGrain
{
    /// <summary>How many evicted atom keys the status keeps (newest last); older ones are forgotten.</summary>
    private const int EvictedKept = 1_000;

    private readonly LinkedList<(string Key, long Bytes)> _resident = new();
    private readonly List<string> _evicted = [];
    // Evicted atoms still to be dropped and reported; sent from an interleaving timer turn (see DrainAsync).
    private readonly Queue<(string Key, string Reason)> _outbox = new();
    private readonly ResourceProbe _probe = device.Value.ProbeRoot == "/" ? ResourceProbe.System : new ResourceProbe(device.Value.ProbeRoot);
    private IGrainTimer? _drain;
    private bool _draining;
    private long _received;

    private string DeviceId => device.Value.Id;

    private DeviceBudgets Budgets => state.State.Budgets ?? new DeviceBudgets(
        device.Value.MemoryBudgetMb is { } mb ? (long)(mb * 1024 * 1024) : null,
        device.Value.ComputeBudgetMflops is { } mflops ? mflops * 1e6 : null);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var expected = this.GetPrimaryKeyString();
        if (expected != DeviceId)
        {
            Log.Misplaced(logger, expected, DeviceId, expected);
            this.MigrateOnIdle();
            return Task.CompletedTask;
        }
        // Dormant until an eviction arms it. It interleaves: the atoms it tells may themselves be
        // waiting on this grain (a load admitting itself), and a non-interleaving turn would deadlock.
        _drain = this.RegisterGrainTimer(DrainAsync, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = true });
        if (device.Value.MinFreeMemoryMb > 0)
        {
            // KeepAlive stays false: the timer only matters while atoms are resident, and those keep the activation alive.
            this.RegisterGrainTimer(CheckMemoryPressureAsync, new GrainTimerCreationOptions(device.Value.MemoryPressureCheck, device.Value.MemoryPressureCheck));
        }
        return Task.CompletedTask;
    }

    public Task<DeviceStatus> GetStatusAsync() => Task.FromResult(new DeviceStatus(
        DeviceId,
        silo.SiloAddress.ToString(),
        device.Value.SpeedFactor,
        Budgets,
        _probe.AvailableMemoryBytes(),
        _probe.CpuLoad(),
        _resident.Sum(r => r.Bytes),
        _resident.Select(r => r.Key).ToArray(),
        _received,
        _evicted.ToArray(),
        emulation.Value.Enabled) { Backend = backend.Name });

    public async Task SetBudgetsAsync(DeviceBudgets budgets)
    {
        ArgumentNullException.ThrowIfNull(budgets);
        if (budgets.MemoryBudgetBytes is < 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"memory budget of {DeviceId} must be >= 0, got {budgets.MemoryBudgetBytes}");
        if (budgets.ComputeBudgetFlops is { } flops && (!double.IsFinite(flops) || flops < 0))
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"compute budget of {DeviceId} must be a finite number >= 0, got {flops}");
        var changed = budgets != Budgets;
        if (state.State.Budgets != budgets)
        {
            state.State.Budgets = budgets;
            await state.WriteStateAsync();
        }
        if (!changed) return;
        await TellSubscribersAsync(new ContextSignal(ContextSignalKind.Budgets, DeviceId, $"budgets of {DeviceId}"));
        EvictOverBudget(null);
    }

    public Task<IReadOnlyList<string>> AdmitAsync(string atomKey, long memoryBytes, long bytesReceived)
    {
        ArgumentException.ThrowIfNullOrEmpty(atomKey);
        _received += bytesReceived;
        if (!_resident.Any(r => r.Key == atomKey)) _resident.AddLast((atomKey, memoryBytes));
        // Resident atoms live in this process only: the list must outlive idle collection, so the
        // activation stays while any atom is resident (until ReleaseAsync empties it).
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        return Task.FromResult<IReadOnlyList<string>>(EvictOverBudget(atomKey));
    }

    public Task ReleaseAsync(string atomKey)
    {
        var node = _resident.First;
        while (node is not null)
        {
            var next = node.Next;
            if (node.Value.Key == atomKey) _resident.Remove(node);
            node = next;
        }
        if (_resident.Count == 0) DelayDeactivation(TimeSpan.Zero); // back to the regular idle collection
        return Task.CompletedTask;
    }

    public async Task SubscribeAsync(ContextSubscription subscription)
    {
        if (state.State.Leases.Renew(subscription, time.GetUtcNow(), $"device {DeviceId}")) await state.WriteStateAsync();
    }

    /// <summary>Oldest first, never the atom just admitted.</summary>
    private List<string> EvictOverBudget(string? keep)
    {
        var evicted = new List<string>();
        if (Budgets.MemoryBudgetBytes is not { } budget) return evicted;
        var node = _resident.First;
        while (node is not null && _resident.Sum(r => r.Bytes) > budget)
        {
            var next = node.Next;
            if (node.Value.Key != keep)
            {
                LogEvictingOverBudget(logger, DeviceId, node.Value.Key, budget);
                Evict(node, "memory budget");
                evicted.Add(node.Value.Key);
            }
            node = next;
        }
        return evicted;
    }

    /// <summary>
    /// Under the free-memory floor, evicts the oldest atoms until the memory they held would lift free
    /// memory above it (their native memory is released as they unload; the next check reads again).
    /// </summary>
    private Task CheckMemoryPressureAsync(CancellationToken cancellationToken)
    {
        if (_resident.Count == 0) return Task.CompletedTask;
        var available = _probe.AvailableMemoryBytes();
        if (available < 0) return Task.CompletedTask; // unknown: nothing to act on
        var floor = (long)(device.Value.MinFreeMemoryMb * 1024 * 1024);
        if (available >= floor) return Task.CompletedTask;
        LogMemoryPressure(logger, DeviceId, available, floor, _resident.Count);
        var freed = 0L;
        while (_resident.First is { } oldest && available + freed < floor)
        {
            freed += oldest.Value.Bytes;
            Evict(oldest, "memory pressure");
        }
        return Task.CompletedTask;
    }

    private void Evict(LinkedListNode<(string Key, long Bytes)> node, string reason)
    {
        _resident.Remove(node);
        _evicted.Add(node.Value.Key);
        if (_evicted.Count > EvictedKept) _evicted.RemoveRange(0, _evicted.Count - EvictedKept);
        metrics.AtomsEvicted.Add(1, new KeyValuePair<string, object?>(AdaMecTelemetry.Tags.Device, DeviceId));
        _outbox.Enqueue((node.Value.Key, reason));
        _drain?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        if (_resident.Count == 0) DelayDeactivation(TimeSpan.Zero);
    }

    /// <summary>Drops each evicted atom's module, then tells its planner; failures are logged, never lost silently.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (_draining) return; // the running drain picks up what was queued meanwhile
        _draining = true;
        try
        {
            while (_outbox.TryDequeue(out var item))
            {
                var (deployment, index, _) = GrainKeys.ParseAtom(item.Key);
                try
                {
                    await GrainFactory.GetGrain<IAtomGrain>(item.Key).EvictAsync();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogEvictFailed(logger, e, DeviceId, item.Key);
                }
                try
                {
                    await GrainFactory.GetGrain<IPlannerGrain>(deployment).AtomEvictedAsync(new AtomEviction(deployment, index, DeviceId, item.Reason));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogEvictionNoticeFailed(logger, e, DeviceId, item.Key, deployment);
                }
            }
        }
        finally
        {
            _draining = false;
        }
    }

    private async Task TellSubscribersAsync(ContextSignal signal)
    {
        var now = time.GetUtcNow();
        if (state.State.Leases.Prune(now)) await state.WriteStateAsync();
        foreach (var deployment in state.State.Leases.Live(now))
        {
            try
            {
                // One-way: the planner may be calling this grain right now.
                await GrainFactory.GetGrain<IPlannerGrain>(deployment).ContextChangedAsync(signal);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSignalFailed(logger, e, DeviceId, deployment);
            }
        }
    }

    [LoggerMessage(4, LogLevel.Information, "Device {Device} evicts {Atom} (FIFO) to stay within {BudgetBytes} bytes")]
    private static partial void LogEvictingOverBudget(ILogger logger, string device, string atom, long budgetBytes);

    [LoggerMessage(40, LogLevel.Warning, "Device {Device} has {AvailableBytes} bytes free, under its floor of {FloorBytes}: evicting from {Resident} resident atom(s), oldest first")]
    private static partial void LogMemoryPressure(ILogger logger, string device, long availableBytes, long floorBytes, int resident);

    [LoggerMessage(41, LogLevel.Warning, "Device {Device} could not unload evicted atom {Atom}")]
    private static partial void LogEvictFailed(ILogger logger, Exception exception, string device, string atom);

    [LoggerMessage(42, LogLevel.Warning, "Device {Device} could not tell deployment {Deployment} that atom {Atom} was evicted")]
    private static partial void LogEvictionNoticeFailed(ILogger logger, Exception exception, string device, string atom, string deployment);

    [LoggerMessage(43, LogLevel.Warning, "Device {Device} could not signal deployment {Deployment} about a context change")]
    private static partial void LogSignalFailed(ILogger logger, Exception exception, string device, string deployment);
}

/// <summary>What a device grain stores: the context a restart or idle collection must not lose.</summary>
[GenerateSerializer, Alias("AdaMec.DeviceState")]
internal sealed class DeviceState
{
    /// <summary>Budgets set at run time; null: the configured <see cref="DeviceOptions"/> budgets.</summary>
    [Id(0)]
    public DeviceBudgets? Budgets { get; set; }

    /// <summary>Planners subscribed to this device's signals.</summary>
    [Id(1)]
    public ContextLeases Leases { get; set; } = new();
}
