using System.Collections.Concurrent;
using System.Diagnostics;
using AdaMec.Core.Atoms;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;

namespace AdaMec.Client;

/// <summary>
/// One model deployed for this app. Runs its local atoms in-process and sends the rest through the
/// cluster along the live plan; serves atom weights to devices that pull them; hears plan changes.
/// A cluster segment is handed to its first atom; its last atom delivers the output straight back
/// here (<see cref="IInitiatorCallback.DeliverAsync"/>). A segment that fails, times out or loses a
/// device to a plan change is retried on a newer plan, then finished locally: every request returns
/// a result or a clear error, never hangs, and every fallback is logged, counted and reported.
/// </summary>
public sealed partial class Deployment : IInitiatorCallback, IDisposable
{
    private readonly AdaMecClient _client;
    private readonly string _directory;
    private readonly string _manifestJson;
    private readonly IExecutableAtom[] _local;
    private readonly bool[] _localWarm; // _local[i] has run once: see RunLocalAsync on why its first pass is not timed
    private readonly object[] _locks;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Guid, PendingSegment> _pending = new();
    private readonly LatencyReporter _latency;
    private readonly InitiatorReporter _self;
    private IInitiatorCallback? _reference;
    private volatile bool _disposed;
    private double _requirementMs;
    private LivePlan _plan;

    private Deployment(AdaMecClient client, string directory, string id, AtomManifest manifest, string manifestJson, IExecutableAtom[] local, double requirementMs)
    {
        _client = client;
        _directory = directory;
        Id = id;
        Manifest = manifest;
        _manifestJson = manifestJson;
        _local = local;
        _localWarm = new bool[local.Length];
        _locks = local.Select(_ => new object()).ToArray();
        _requirementMs = requirementMs;
        _logger = client.Loggers.CreateLogger<Deployment>();
        _latency = new LatencyReporter(client.Cluster, id, _logger);
        _self = new InitiatorReporter(client.Cluster, id, client.Options.DeviceId, client.Self, manifest, _logger);
        _plan = new LivePlan(id, 0, client.Options.DeviceId, Enumerable.Repeat(client.Options.DeviceId, manifest.Atoms.Count).ToArray(), 0, false);
    }

    /// <summary>The deployment id (the planner grain's key).</summary>
    public string Id { get; }

    /// <summary>The model's atoms.</summary>
    public AtomManifest Manifest { get; }

    /// <summary>The latest live plan this app knows.</summary>
    public LivePlan Plan => Volatile.Read(ref _plan);

    /// <summary>Raised (on an Orleans thread) when the live plan changes.</summary>
    public event EventHandler<LivePlan>? PlanChanged;

    private IPlannerGrain Planner => _client.Cluster.GetGrain<IPlannerGrain>(Id);

    internal static Deployment Open(AdaMecClient client, string directory, string id, double requirementMs)
    {
        var manifest = AtomManifest.Load(directory);
        var json = File.ReadAllText(Path.Combine(directory, AtomManifest.FileName));
        var local = AtomFiles.LoadAll(client.Backend, directory, manifest);
        return new Deployment(client, directory, id, manifest, json, local, requirementMs);
    }

    internal async Task RegisterAsync(CancellationToken cancellationToken)
    {
        _reference ??= _client.Cluster.CreateObjectReference<IInitiatorCallback>(this);
        var options = _client.Options;
        // The planner plans on measured links: this initiator's are probed by it, before the first plan.
        await InitiatorLinks.ProbeAsync(_client.Cluster, options.DeviceId, _client.MaxMessageBodySize, InitiatorLinks.StaleAfter, _logger, cancellationToken);
        var plan = await Planner.DeployAsync(new DeploymentRequest(_manifestJson,
            new InitiatorInfo(options.DeviceId, _client.Self.EmulationFactor, options.MemoryBudgetBytes, options.ComputeBudgetFlops)
            {
                Backend = _client.Backend.Name,
                Context = _client.Self.Read(Manifest), // the planner plans with what this device measures of itself
            },
            _requirementMs, _reference)).WaitAsync(cancellationToken);
        if (PlanProblem(plan) is { } invalid)
            throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"deployment {Id}: the planner answered the deploy with a plan this app cannot use: {invalid}");
        // A planner deployed afresh (its silo left) counts versions from the start again.
        Volatile.Write(ref _plan, plan);
        PlanChanged?.Invoke(this, plan);
    }

    /// <summary>Runs the model on <paramref name="input"/> (float32 bytes of the model's input shape).</summary>
    public async Task<InferenceResult> InferAsync(byte[] input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var first = Manifest.Atoms[0];
        if (input.Length != first.InputBytes)
            throw new ArgumentException($"{Manifest.Model} expects input {first.InputShape} ({first.InputBytes} bytes), got {input.Length} bytes", nameof(input));
        var id = Guid.NewGuid();
        // The root of this request's trace: atom spans on every silo it touches join it (Orleans carries the context).
        using var activity = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.Inference, ActivityKind.Client);
        activity?.SetTag(AdaMecTelemetry.Tags.Deployment, Id);
        activity?.SetTag(AdaMecTelemetry.Tags.Device, _client.Options.DeviceId);
        activity?.SetTag(AdaMecTelemetry.Tags.InputBytes, input.Length);
        var started = Stopwatch.GetTimestamp();
        var plan = Plan;
        var startVersion = plan.Version;
        var ranOn = new string[_local.Length];
        var retries = 0;
        var fellBack = false;
        var ranLocally = false;
        var reasons = new List<string>();
        var bytes = input;
        var i = 0;
        var me = _client.Options.DeviceId;
        while (i < _local.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var device = plan.Assignment[i];
            if (device == me || (retries > _client.Options.MaxRetries))
            {
                ranLocally |= device != me;
                bytes = await RunLocalAsync(i, bytes);
                ranOn[i++] = me;
                continue;
            }
            TensorSizeGuard.Check(bytes.Length, _client.MaxMessageBodySize, $"input of atom {Manifest.Atoms[i].Id} to {device}");
            var (result, failure) = await RunSegmentAsync(id, plan, i, bytes, cancellationToken);
            if (result is not null)
            {
                for (var k = 0; k < result.Devices.Count; k++) ranOn[i + k] = result.Devices[k];
                bytes = result.Output;
                i = result.NextAtomIndex;
                failure = result.Failure is null ? null : ClusterInputValidation.Failure(result.Failure);
                if (failure is null) continue;
                device = plan.Assignment[i];
            }

            // Atom i did not run in the cluster; bytes is its input. Retry it on a newer plan, else run it here.
            retries++;
            fellBack = true;
            reasons.Add($"atom {i} on {device}: {failure}");
            _client.Metrics.InferenceFallbacks.Add(1, new KeyValuePair<string, object?>(AdaMecTelemetry.Tags.Deployment, Id));
            LogSegmentFailed(_logger, id, i, device, retries, failure!);
            var newer = await RefreshPlanAsync(cancellationToken);
            if (newer.Version > plan.Version && newer.Assignment[i] != device)
            {
                plan = newer;
            }
            else
            {
                ranLocally = true;
                bytes = await RunLocalAsync(i, bytes); // the initiator holds every atom
                ranOn[i++] = me;
            }
        }
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _client.Metrics.InferenceDuration.Record(latency, new KeyValuePair<string, object?>(AdaMecTelemetry.Tags.Deployment, Id), new KeyValuePair<string, object?>("adamec.model", Manifest.Model));
        activity?.SetTag(AdaMecTelemetry.Tags.PlanVersion, startVersion);
        activity?.SetTag("adamec.retries", retries);
        await _latency.AddAsync(latency, _requirementMs, startVersion); // one-way
        // Not awaited: the report is a call the planner answers in a turn of its own, and a planner busy
        // moving atoms (or behind a frozen gateway) must not hold up a request that has its result.
        _ = _self.TickAsync();
        return new InferenceResult(id, bytes, latency, ranOn, startVersion, retries, ranLocally)
        {
            FellBack = fellBack,
            FallbackReason = reasons.Count == 0 ? null : string.Join("; ", reasons),
        };
    }

    /// <summary>
    /// Hands <paramref name="input"/> to the first cluster atom of the segment starting at
    /// <paramref name="index"/> and waits for the delivery from its last atom. Gives up (result null,
    /// with the reason) on the timeout, on a send failure, or when a plan change drops a device of its route.
    /// </summary>
    private async Task<(ForwardResult? Result, string? Failure)> RunSegmentAsync(Guid id, LivePlan plan, int index, byte[] input, CancellationToken cancellationToken)
    {
        var me = _client.Options.DeviceId;
        var device = plan.Assignment[index];
        var route = plan.Assignment.Skip(index).ToArray();
        var segment = new PendingSegment(route.TakeWhile(d => d != me).Distinct().ToArray());
        var key = Guid.NewGuid();
        _pending[key] = segment;
        try
        {
            var sentAt = DateTime.UtcNow.Ticks;
            using (var transfer = StartTransfer(me, device, index, input.Length))
            {
                var delay = _client.Options.UplinkDelay(input.Length);
                if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken);
                await _client.Cluster.GetGrain<IAtomGrain>(GrainKeys.Atom(Id, index, device))
                    .RunAsync(new ForwardRequest(id, Id, index, route, me, input, me) { ReplyTo = _reference, Segment = key, SentAtUtcTicks = sentAt })
                    .WaitAsync(cancellationToken);
            }
            // A plan that already dropped a device of this route before the send is caught here.
            segment.AbandonIfDropped(Plan);
            var timeout = _client.Options.SegmentTimeout;
            var result = await segment.Completion.Task.WaitAsync(timeout, cancellationToken);
            if (result is null) return (null, segment.AbandonReason);
            // Checked before any of it is used: a result that fails is dropped and its atoms run here from the input this request still holds.
            if (ClusterInputValidation.Segment(result, index, route, Manifest) is { } invalid)
            {
                LogResultRefused(_logger, id, index, result.FromDevice ?? "", invalid);
                return (null, $"the segment's result was refused: {invalid}");
            }
            await RecordArrivalAsync(result);
            return (result, null);
        }
        catch (TimeoutException)
        {
            return (null, $"no answer within {_client.Options.SegmentTimeout.TotalSeconds:0.###} s (AdaMecClient:SegmentTimeout)");
        }
        catch (AdaMecException e) when (e.Code is AdaMecErrorCode.TensorTooLarge or AdaMecErrorCode.InvalidModel)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// The segment's last hop as a link sample: arrival on this clock minus the sender's send time on
    /// its clock (exact on one machine; across devices it carries their clock offset).
    /// </summary>
    private async Task RecordArrivalAsync(ForwardResult result)
    {
        var me = _client.Options.DeviceId;
        if (result.SentAtUtcTicks <= 0 || result.FromDevice.Length == 0 || result.FromDevice == me || result.Output.Length == 0) return;
        var ms = Math.Max(0, (DateTime.UtcNow.Ticks - result.SentAtUtcTicks) / (double)TimeSpan.TicksPerMillisecond);
        try
        {
            await _client.Cluster.GetGrain<ILinkGrain>(GrainKeys.Link(result.FromDevice, me)).RecordTransferAsync(new TransferSample(result.Output.Length, ms));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogTransferNotRecorded(_logger, e, result.FromDevice, me);
        }
    }

    /// <summary>Sets the latency requirement; the planner re-plans.</summary>
    public Task SetLatencyRequirementAsync(double milliseconds)
    {
        _requirementMs = milliseconds;
        return Planner.SetLatencyRequirementAsync(milliseconds);
    }

    /// <summary>The planner's status: live plan, target, migration.</summary>
    public Task<PlannerStatus> GetStatusAsync() => Planner.GetStatusAsync();

    /// <summary>Every plan decision so far.</summary>
    public Task<IReadOnlyList<PlanRecord>> GetHistoryAsync() => Planner.GetHistoryAsync();

    /// <summary>Operator override: run exactly this assignment (null clears).</summary>
    public Task<PlanRecord> PinAsync(IReadOnlyList<string>? assignment) => Planner.PinAsync(assignment);

    /// <summary>
    /// Polls the planner until <paramref name="done"/> holds or the timeout passes (then throws <see cref="TimeoutException"/>).
    /// A planner that no longer knows this deployment (its silo left) gets it deployed again, as requests do.
    /// </summary>
    public async Task<PlannerStatus> WaitForAsync(Func<PlannerStatus, bool> done, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(done);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            PlannerStatus status;
            try
            {
                status = await GetStatusAsync();
            }
            catch (AdaMecException e) when (e.Code == AdaMecErrorCode.UnknownDeployment)
            {
                // The planner's silo left and a fresh planner does not know this deployment: deploy again, as requests do.
                await RegisterAsync(cancellationToken);
                continue;
            }
            if (done(status))
            {
                Adopt(status.Live);
                return status;
            }
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"deployment {Id}: condition not reached in {timeout.TotalSeconds:0.#} s; live [{string.Join(",", status.Live.Assignment)}], target [{string.Join(",", status.Target)}], migrating {status.Migrating}");
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits until the live plan equals the target and no atom is in flight.</summary>
    public Task<PlannerStatus> WaitUntilSettledAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(s => !s.Migrating && s.Live.Assignment.SequenceEqual(s.Target), timeout, cancellationToken);

    Task<WeightChunk> IInitiatorCallback.ReadWeightsAsync(string deployment, int atomIndex, long offset, int count) => ReadWeightsAsync(deployment, atomIndex, offset, count);

    private async Task<WeightChunk> ReadWeightsAsync(string deployment, int atomIndex, long offset, int count)
    {
        if (deployment != Id) throw new AdaMecException(AdaMecErrorCode.UnknownDeployment, $"this app serves deployment {Id}, not {deployment}");
        if ((uint)atomIndex >= (uint)Manifest.Atoms.Count) throw new AdaMecException(AdaMecErrorCode.InvalidModel, $"{Manifest.Model} has no atom {atomIndex}");
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        TensorSizeGuard.Check(count, _client.MaxMessageBodySize, $"weight slice of atom {atomIndex}");
        await using var file = new FileStream(Path.Combine(_directory, Manifest.Atoms[atomIndex].File), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        file.Position = offset;
        var data = new byte[(int)Math.Min(count, Math.Max(0, file.Length - offset))];
        await file.ReadExactlyAsync(data);
        var delay = _client.Options.UplinkDelay(data.Length);
        if (delay > TimeSpan.Zero) await Task.Delay(delay);
        return new WeightChunk(data, file.Length);
    }

    Task IInitiatorCallback.PlanChangedAsync(LivePlan plan)
    {
        // The sender hears a refusal; requests keep the plan they have.
        if (!Adopt(plan, out var invalid)) throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"deployment {Id}: plan refused: {invalid}");
        return Task.CompletedTask;
    }

    Task IInitiatorCallback.ProbeLinksAsync(string[] devices) =>
        InitiatorLinks.ProbeAsync(_client.Cluster, _client.Options.DeviceId, devices ?? [], _client.MaxMessageBodySize, InitiatorLinks.StaleAfter, _logger, CancellationToken.None);

    Task IInitiatorCallback.DeliverAsync(ForwardResult result)
    {
        if (result is null) return Task.CompletedTask; // one-way: nobody to tell; the segment's wait ends on its own
        if (_pending.TryGetValue(result.Segment, out var segment)) segment.Completion.TrySetResult(result);
        else LogLateDelivery(_logger, result.RequestId, result.FromDevice);
        return Task.CompletedTask;
    }

    /// <summary>Why <paramref name="plan"/> cannot be this deployment's plan, or null.</summary>
    private string? PlanProblem(LivePlan? plan) => ClusterInputValidation.Plan(plan, Id, _client.Options.DeviceId, Manifest.Atoms.Count);

    private void Adopt(LivePlan plan) => Adopt(plan, out _);

    /// <summary>Takes <paramref name="plan"/> if it is usable and not older than the one held; false (with the problem) when refused.</summary>
    private bool Adopt(LivePlan plan, out string? invalid)
    {
        if ((invalid = PlanProblem(plan)) is not null)
        {
            LogPlanRefused(_logger, Id, invalid);
            return false;
        }
        while (true)
        {
            var current = Volatile.Read(ref _plan);
            if (plan.Version < current.Version && current.Version != 0) return true;
            if (Interlocked.CompareExchange(ref _plan, plan, current) == current) break;
        }
        foreach (var segment in _pending.Values) segment.AbandonIfDropped(plan);
        PlanChanged?.Invoke(this, plan);
        return true;
    }

    /// <summary>How long a request waits for the planner's plan after a segment failed.</summary>
    private static readonly TimeSpan PlanRefreshTimeout = TimeSpan.FromSeconds(2);

    private async Task<LivePlan> RefreshPlanAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Bounded: behind a frozen gateway the call would wait out the whole response timeout, and this
            // request only needs to know whether a newer plan exists; without an answer it runs the atom here.
            Adopt(await Planner.GetPlanAsync().WaitAsync(PlanRefreshTimeout, cancellationToken));
        }
        catch (AdaMecException e) when (e.Code == AdaMecErrorCode.UnknownDeployment)
        {
            // The silo holding the planner went away: deploy again (this app holds everything needed).
            try { await RegisterAsync(cancellationToken); }
            catch (Exception inner) when (inner is not OutOfMemoryException && !cancellationToken.IsCancellationRequested) { LogRefreshFailed(_logger, inner, Id); }
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            LogRefreshFailed(_logger, e, Id);
        }
        return Plan;
    }

    private Activity? StartTransfer(string from, string to, int atom, long bytes)
    {
        var transfer = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.TensorTransfer, ActivityKind.Producer);
        transfer?.SetTag(AdaMecTelemetry.Tags.Deployment, Id);
        transfer?.SetTag(AdaMecTelemetry.Tags.From, from);
        transfer?.SetTag(AdaMecTelemetry.Tags.To, to);
        transfer?.SetTag(AdaMecTelemetry.Tags.Atom, atom);
        transfer?.SetTag(AdaMecTelemetry.Tags.Bytes, bytes);
        return transfer;
    }

    private async Task<byte[]> RunLocalAsync(int index, byte[] input)
    {
        using var forward = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.AtomForward);
        forward?.SetTag(AdaMecTelemetry.Tags.Device, _client.Options.DeviceId);
        forward?.SetTag(AdaMecTelemetry.Tags.Deployment, Id);
        forward?.SetTag(AdaMecTelemetry.Tags.Atom, index);
        forward?.SetTag(AdaMecTelemetry.Tags.InputBytes, input.Length);
        byte[] output;
        double runMs;
        bool first;
        lock (_locks[index])
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // The pass alone: the wait for this atom's lock is queueing behind concurrent requests (many at
            // once when a device is lost and they all fall back here), not this device's speed. Timed with
            // the wait, a phone under a burst of fallbacks measured itself up to 250x slower and its
            // planner re-planned on every report (`adamec bench faults`, sigstop-silo).
            var runStarted = Stopwatch.GetTimestamp();
            output = _local[index].Run(input);
            runMs = Stopwatch.GetElapsedTime(runStarted).TotalMilliseconds;
            first = !_localWarm[index];
            _localWarm[index] = true;
        }
        forward?.SetTag(AdaMecTelemetry.Tags.OutputBytes, output.Length);
        var emulation = Math.Max(1, _client.Self.EmulationFactor);
        if (emulation > 1) await Task.Delay(TimeSpan.FromMilliseconds(runMs * (emulation - 1)));
        // Timed with the emulated slowdown, as a silo times its atoms: the speed the planner plans with.
        // Not the atom's first pass, which pays one-time costs no later pass pays (as on a silo, see AtomGrain).
        if (!first) _client.Self.Record(Manifest.Atoms[index].PredictedMs, runMs * emulation);
        return output;
    }

    /// <summary>
    /// Frees the local atoms and the observer reference. Requests still running finish the atom they
    /// are in, then fail with <see cref="ObjectDisposedException"/>: a module freed under a running
    /// forward pass is freed native memory in use, which takes the whole process down.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_reference is not null)
        {
            _client.Cluster.DeleteObjectReference<IInitiatorCallback>(_reference);
            _reference = null;
        }
        for (var i = 0; i < _local.Length; i++)
        {
            lock (_locks[i]) _local[i].Dispose();
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Request {Request}: cluster segment stopped at atom {Atom} on {Device} (fallback {Retry}): {Reason}")]
    private static partial void LogSegmentFailed(ILogger logger, Guid request, int atom, string device, int retry, string reason);

    [LoggerMessage(3, LogLevel.Debug, "Request {Request}: a delivery from {Device} arrived after its segment was given up; ignored")]
    private static partial void LogLateDelivery(ILogger logger, Guid request, string device);

    [LoggerMessage(4, LogLevel.Debug, "Could not record a transfer sample on link {From}->{To}")]
    private static partial void LogTransferNotRecorded(ILogger logger, Exception exception, string from, string to);

    /// <summary>A cluster segment the initiator waits for; a plan change that drops one of its devices ends the wait.</summary>
    private sealed class PendingSegment(string[] devices)
    {
        public TaskCompletionSource<ForwardResult?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? AbandonReason { get; private set; }

        public void AbandonIfDropped(LivePlan plan)
        {
            var dropped = devices.FirstOrDefault(d => !plan.Assignment.Contains(d));
            if (dropped is null || Completion.Task.IsCompleted) return;
            AbandonReason = $"plan v{plan.Version} no longer uses {dropped}";
            Completion.TrySetResult(null);
        }
    }

    [LoggerMessage(5, LogLevel.Warning, "Deployment {Deployment}: a plan from the cluster was refused: {Problem}")]
    private static partial void LogPlanRefused(ILogger logger, string deployment, string problem);

    [LoggerMessage(6, LogLevel.Warning, "Request {Request}: the result of the segment from atom {Atom} (delivered by {Device}) was refused: {Problem}; its atoms run here")]
    private static partial void LogResultRefused(ILogger logger, Guid request, int atom, string device, string problem);

    [LoggerMessage(2, LogLevel.Warning, "Deployment {Deployment}: could not refresh the plan; finishing locally")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string deployment);
}
