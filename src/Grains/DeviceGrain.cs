using AdaMec.Core.Context;
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
    DeviceSpeedMeter speedMeter,
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
    // The newest reading of live resources, and the values last signalled (the hysteresis references).
    private ResourceSample _sample = new(-1, -1, -1, -1);
    private long _memoryRef = -1;
    private double _quotaRef = -1;
    private double _speedRef = double.NaN;
    // Bytes of evicted atoms not yet seen leave the process: a sample taken before their unload and
    // trim would count them again and evict more than needed.
    private long _pendingFree;
    private int _trims;
    private int _pendingUntilTrim;
    // The memory model last asked about, parsed (a planner asks with the same one on every re-plan).
    private (string Deployment, string Json, AdaMec.Core.Atoms.AtomMemoryModel Model)? _memoryModel;

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
        // KeepAlive stays false: what the timer acts on matters while atoms are resident (they keep the
        // activation alive) or planners are subscribed (their lease renewals call in).
        var every = device.Value.MemoryPressureCheck;
        this.RegisterGrainTimer(SampleAsync, new GrainTimerCreationOptions(every, every));
        return ReadResourcesAsync(first: true);
    }

    public Task<DeviceStatus> GetStatusAsync()
    {
        var speed = speedMeter.Current;
        return Task.FromResult(new DeviceStatus(
            DeviceId,
            silo.SiloAddress.ToString(),
            device.Value.SpeedFactor,
            Budgets,
            _sample.AvailableMemoryBytes,
            _sample.CpuLoad,
            _resident.Sum(r => r.Bytes),
            _resident.Select(r => r.Key).ToArray(),
            _received,
            _evicted.ToArray(),
            emulation.Value.Enabled)
        {
            Backend = backend.Name,
            Speed = speed.Speed,
            SpeedSource = speed.Source.ToString().ToLowerInvariant(),
            SpeedSamples = speed.Samples,
            CpuQuotaCores = _sample.CpuQuotaCores,
            MemoryLimitBytes = _sample.MemoryLimitBytes,
            MemoryFloorBytes = FloorBytes,
            PriorSpeed = speedMeter.PriorSpeed,
        });
    }

    public async Task<DeviceStatus> RecalibrateAsync()
    {
        speedMeter.Restart();
        await ReadResourcesAsync(first: false);
        CheckMemoryPressure();
        await SignalChangesAsync();
        LogRecalibrated(logger, DeviceId, _sample.AvailableMemoryBytes, _sample.CpuQuotaCores);
        return await GetStatusAsync();
    }

    public Task<AtomLatencyReport> PredictAtomsAsync(AtomLatencyQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.PredictedMs is null || query.PredictedMs.Count == 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"atom latency query to device {DeviceId}: predictedMs must list the deployment's atoms");
        if (query.PredictedMs.Any(ms => !double.IsFinite(ms) || ms < 0))
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"atom latency query to device {DeviceId}: predictedMs must be finite numbers >= 0");
        AdaMec.Core.Atoms.AtomMemoryModel? model = null;
        if (query.MemoryModelJson is { } json)
        {
            // Parsed once per deployment and manifest: the planner asks on every re-plan.
            if (_memoryModel is { } cached && cached.Deployment == query.Deployment && cached.Json == json) model = cached.Model;
            else
            {
                try
                {
                    model = AdaMec.Core.Atoms.AtomMemoryModel.Parse(json, query.PredictedMs.Count);
                }
                catch (AdaMec.Core.Atoms.AtomFileException e)
                {
                    throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"atom latency query to device {DeviceId}: {e.Message}");
                }
                _memoryModel = (query.Deployment, json, model);
            }
        }
        var speed = speedMeter.Current;
        var available = _sample.AvailableMemoryBytes;
        var (atomMs, basis) = AtomLatencyEstimator.Predict(query.PredictedMs, model, speed.Speed, available);
        return Task.FromResult(new AtomLatencyReport(DeviceId, atomMs, basis, Threads, model?.ProfiledThreads ?? 0, available, speed.Speed,
            speed.Source.ToString().ToLowerInvariant()));
    }

    /// <summary>Threads an atom's forward pass runs with here.</summary>
    private int Threads => device.Value.InferenceThreads ?? Environment.ProcessorCount;

    public async Task SetBudgetsAsync(DeviceBudgets budgets)
    {
        if (ContextReportValidation.Budgets(budgets) is { } problem)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"budgets of device {DeviceId}: {problem}");
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
        // Checked before anything is counted: a negative or absurd count would corrupt the device's totals and its eviction.
        if (ContextReportValidation.Admission(atomKey, DeviceId, memoryBytes, bytesReceived) is { } invalid)
            throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"device {DeviceId}: admission refused: {invalid}");
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

    private long FloorBytes => (long)(device.Value.MinFreeMemoryMb * 1024 * 1024);

    /// <summary>
    /// Samples live resources (off the scheduler: file reads), evicts under memory pressure, and
    /// signals subscribed planners about changes beyond the thresholds.
    /// </summary>
    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        await ReadResourcesAsync(first: false);
        CheckMemoryPressure();
        await SignalChangesAsync();
    }

    private async Task ReadResourcesAsync(bool first)
    {
        var trims = _trims;
        _sample = await Task.Run(_probe.Sample);
        if (trims >= _pendingUntilTrim) _pendingFree = 0; // read after the evicted atoms were unloaded and trimmed
        speedMeter.Configure(_sample.EffectiveCores, Threads, emulation.Value.Enabled ? device.Value.SpeedFactor : 1);
        if (!first) return;
        _memoryRef = _sample.AvailableMemoryBytes;
        _quotaRef = _sample.CpuQuotaCores;
        _speedRef = speedMeter.Current.Speed;
    }

    /// <summary>
    /// Under the free-memory floor, evicts the oldest atoms until the memory they held would lift free
    /// memory above it, and no further: the bytes they held count as free until a sample taken after
    /// their release (DrainAsync: unload, full collection, allocator trimmed) shows what really left.
    /// </summary>
    private void CheckMemoryPressure()
    {
        if (_resident.Count == 0 || device.Value.MinFreeMemoryMb <= 0) return;
        var available = _sample.AvailableMemoryBytes;
        if (available < 0) return; // unknown: nothing to act on
        var floor = FloorBytes;
        if (available + _pendingFree >= floor) return;
        var (resident, pending) = (_resident.Count, _pendingFree);
        while (_resident.First is { } oldest && available + _pendingFree < floor)
        {
            _pendingFree += oldest.Value.Bytes;
            Evict(oldest, "memory pressure");
        }
        LogMemoryPressure(logger, DeviceId, available, floor, resident - _resident.Count, resident, _pendingFree - pending);
        _pendingUntilTrim = _trims + 1;
    }

    /// <summary>
    /// Memory, CPU quota and measured speed, each against the value last signalled: a change beyond
    /// its threshold signals the subscribed planners and becomes the new reference (hysteresis: a
    /// value wavering around one level signals once).
    /// </summary>
    private async Task SignalChangesAsync()
    {
        var o = device.Value;
        var now = time.GetUtcNow().UtcTicks;
        var available = _sample.AvailableMemoryBytes;
        if (available >= 0)
        {
            var change = Math.Abs(available - _memoryRef);
            if (_memoryRef < 0 || (change > o.MemorySignalThreshold * _memoryRef && change >= o.MemorySignalMinMb * 1024 * 1024))
            {
                var before = _memoryRef;
                _memoryRef = available;
                if (before >= 0)
                {
                    var limit = _sample.MemoryLimitBytes >= 0 ? FormattableString.Invariant($" (cgroup limit {_sample.MemoryLimitBytes / 1048576.0:0} MB)") : "";
                    await TellSubscribersAsync(new ContextSignal(ContextSignalKind.Memory, DeviceId,
                        FormattableString.Invariant($"available memory of {DeviceId} {before / 1048576.0:0} MB -> {available / 1048576.0:0} MB{limit}"))
                    {
                        Measurement = "availableMemoryMb", Before = before / 1048576.0, After = available / 1048576.0, ObservedAtUtcTicks = now,
                    });
                }
            }
        }
        var quota = _sample.CpuQuotaCores;
        if (Changed(_quotaRef, quota, o.SpeedSignalThreshold))
        {
            var before = _quotaRef;
            _quotaRef = quota;
            await TellSubscribersAsync(new ContextSignal(ContextSignalKind.Compute, DeviceId,
                FormattableString.Invariant($"CPU quota of {DeviceId} {Cores(before)} -> {Cores(quota)}"))
            {
                Measurement = "cpuQuotaCores", Before = before, After = quota, ObservedAtUtcTicks = now,
            });
        }
        var speed = speedMeter.Current;
        if (double.IsNaN(_speedRef) || Math.Abs(speed.Speed / _speedRef - 1) > o.SpeedSignalThreshold)
        {
            var before = _speedRef;
            _speedRef = speed.Speed;
            if (!double.IsNaN(before))
            {
                LogSpeedChanged(logger, DeviceId, before, speed.Speed, speed.Source.ToString().ToLowerInvariant(), speed.Samples, backend.Name);
                await TellSubscribersAsync(new ContextSignal(ContextSignalKind.Compute, DeviceId,
                    FormattableString.Invariant($"speed of {DeviceId} ({backend.Name}, {speed.Source.ToString().ToLowerInvariant()}, {speed.Samples} passes) {before:0.00}x -> {speed.Speed:0.00}x"))
                {
                    Measurement = "speed", Before = before, After = speed.Speed, ObservedAtUtcTicks = now,
                });
            }
        }

        static string Cores(double cores) => cores < 0 ? "none" : FormattableString.Invariant($"{cores:0.00} cores");

        static bool Changed(double reference, double value, double threshold) =>
            (reference < 0) != (value < 0) || (reference > 0 && Math.Abs(value / reference - 1) > threshold);
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
            // Atoms evicted while this turn awaits (a sample turn interleaves) are picked up by the outer
            // loop: the timer firing meanwhile returns at once, and the count of trims must not say they
            // were released before they were.
            while (_outbox.Count > 0)
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
                // The unloaded atoms' memory must leave the process, or the cgroup still counts it and
                // the next sample evicts again: see CollectGarbage.
                var before = await Task.Run(_probe.Sample);
                await Task.Run(CollectGarbage, CancellationToken.None); // a release is never abandoned halfway
                var collected = await Task.Run(_probe.Sample);
                await Task.Run(AdaMec.Runtime.Execution.NativeAllocator.ReleaseFreedMemory);
                var trimmed = await Task.Run(_probe.Sample);
                LogReleased(logger, DeviceId, before.AvailableMemoryBytes, collected.AvailableMemoryBytes, trimmed.AvailableMemoryBytes);
            }
            _trims++;
        }
        finally
        {
            _draining = false;
        }
    }

    /// <summary>
    /// An evicted atom's weights arrived as a managed array, garbage once loaded but kept committed by
    /// the GC until a full collection; tensors left to finalizers free their native memory only then,
    /// and glibc keeps freed native memory for reuse (NativeAllocator) until malloc_trim. So the drain
    /// collects (aggressive: the GC decommits what it frees), lets the finalizers run, then trims.
    /// Trimming alone left the cgroup's usage where it was and the device evicted on.
    /// </summary>
    private static void CollectGarbage()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
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

    [LoggerMessage(40, LogLevel.Warning, "Device {Device} has {AvailableBytes} bytes free, under its floor of {FloorBytes}: evicted {Evicted} of {Resident} resident atom(s), oldest first, holding {EvictedBytes} bytes")]
    private static partial void LogMemoryPressure(ILogger logger, string device, long availableBytes, long floorBytes, int evicted, int resident, long evictedBytes);

    [LoggerMessage(48, LogLevel.Information, "Device {Device} unloaded evicted atoms: {BeforeBytes} bytes free, {CollectedBytes} after a full collection, {TrimmedBytes} after trimming the allocator")]
    private static partial void LogReleased(ILogger logger, string device, long beforeBytes, long collectedBytes, long trimmedBytes);

    [LoggerMessage(41, LogLevel.Warning, "Device {Device} could not unload evicted atom {Atom}")]
    private static partial void LogEvictFailed(ILogger logger, Exception exception, string device, string atom);

    [LoggerMessage(42, LogLevel.Warning, "Device {Device} could not tell deployment {Deployment} that atom {Atom} was evicted")]
    private static partial void LogEvictionNoticeFailed(ILogger logger, Exception exception, string device, string atom, string deployment);

    [LoggerMessage(46, LogLevel.Information, "Device {Device} measures its speed at {Speed:0.00}x the predicted latency (was {Before:0.00}x; {Source}, {Samples} passes, {Backend})")]
    private static partial void LogSpeedChanged(ILogger logger, string device, double before, double speed, string source, int samples, string backend);

    [LoggerMessage(47, LogLevel.Information, "Device {Device} recalibrates: {AvailableBytes} bytes available, CPU quota {QuotaCores} cores; speed from new passes")]
    private static partial void LogRecalibrated(ILogger logger, string device, long availableBytes, double quotaCores);

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
