using AdaMec.Core.Context;
using System.Diagnostics;
using System.Text.Json;
using AdaMec.Core.Atoms;
using AdaMec.Core.Serialization;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;
using AdaMec.Interfaces;
using AdaMec.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AdaMec.Grains;

/// <summary>
/// One atom of one deployment on one device (key <c>deployment/index@device</c>), pinned to that
/// device. Pulls its weights from a peer device or the initiator, verifies SHA-256, keeps them in the
/// device cache folder, runs forward on byte[] tensors and forwards the output along the route.
/// The atom runs on the device's execution backend (TorchSharp or ONNX Runtime; both load the same
/// weights file). Loading, verification and forward passes run on the device's <see cref="InferenceExecutor"/>:
/// the grain awaits them, so no grain turn blocks a scheduler thread on CPU work.
/// </summary>
[DevicePlacement]
[CollectionAgeLimit(Days = 7)]
internal sealed partial class AtomGrain(
    IOptions<DeviceOptions> device,
    IOptions<EmulationOptions> emulation,
    IOptions<PlannerOptions> planner,
    IOptions<SiloMessagingOptions> messaging,
    IOptions<LimitsOptions> limits,
    IHostApplicationLifetime lifetime,
    InferenceExecutor executor,
    IExecutionBackend backend,
    WeightFileCache cache,
    AdaMecMetrics metrics,
    DeviceSpeedMeter speedMeter,
    ILogger<AtomGrain> logger) : Grain, IAtomGrain, Security.IInitiatorOwned
{
    private string? _initiator; // the deployment's initiator: the call filter lets only it in
    private AtomSpec? _spec;
    private IExecutableAtom? _module;
    private bool _moduleWarm; // _module has run once: see RunAsync on why its first pass is not timed
    private string? _weightsPath;
    private bool _admitted;

    private string Key => this.GetPrimaryKeyString();

    string? Security.IInitiatorOwned.OwnerInitiator => _initiator;

    private string DeviceId => device.Value.Id;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var expected = GrainKeys.DeviceOf(Key);
        if (expected != DeviceId)
        {
            // A re-activation can land on a silo picked from a stale cache: send it home.
            Log.Misplaced(logger, Key, DeviceId, expected);
            this.MigrateOnIdle();
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        DropModule();
        // A silo shutting down takes its device grain (and its resident list) with it: telling it
        // would only fail against a grain that is deactivating too.
        if (!_admitted || reason.ReasonCode == DeactivationReasonCode.ShuttingDown || lifetime.ApplicationStopping.IsCancellationRequested) return;
        try
        {
            await GrainFactory.GetGrain<IDeviceGrain>(DeviceId).ReleaseAsync(Key).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogReleaseFailed(logger, e, Key, DeviceId);
        }
    }

    /// <summary>
    /// Frees the module and the cache hold on its weight file. The device slot stays until the
    /// activation goes: a slot never released would later be "evicted" and reported to the planner.
    /// </summary>
    private void DropModule()
    {
        var spec = _spec;
        _module?.Dispose();
        _module = null;
        _spec = null;
        if (spec is not null) cache.Release(spec.Sha256);
    }

    public Task<bool> IsResidentAsync() => Task.FromResult(_module is not null);

    public async Task<AtomLoadResult> LoadAsync(AtomLoadRequest request)
    {
        var spec = AtomRequestValidation.Load(request, Key, limits.Value);
        var (deployment, index, _) = GrainKeys.ParseAtom(Key);
        ServiceProvider.GetService<Security.AtomTrust>()?.Check(spec, Key); // trusted keys configured: signed atoms only
        if (request.Initiator is null) throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"atom {Key}: initiator: missing (the callback that serves the weights)");
        // The activation is bound to its weights' content: a redeploy of a re-partitioned model under
        // the same id brings other weights, which must replace the resident ones.
        if (_module is not null && _spec is not null && SameContent(_spec, spec)) return new AtomLoadResult(Key, DeviceId, "resident", 0, 0, 0);

        var path = cache.PathOf(spec.Sha256);
        var source = "cache";
        long transferred = 0;
        double transferMs = 0;
        double loadMs = 0;
        IExecutableAtom? module = null;
        byte[]? cached = null;
        try
        {
            cached = await cache.TryReadAsync(spec.Sha256, spec.FileBytes);
        }
        catch (InvalidDataException e)
        {
            LogWeightsRejected(logger, Key, "cache", e.Message);
            cache.Remove(spec.Sha256); // a damaged cache entry, not read: pull again
        }
        if (cached is not null)
        {
            (module, loadMs) = await TryLoadAsync(cached, spec, "cache");
            if (module is null) cache.Remove(spec.Sha256); // a damaged cache entry: pull again
        }
        if (module is null)
        {
            byte[]? weights = null;
            var started = Stopwatch.GetTimestamp();
            if (request.PeerDevice is { } peer && peer != DeviceId && peer != request.InitiatorDevice)
            {
                try
                {
                    var peerGrain = GrainFactory.GetGrain<IAtomGrain>(GrainKeys.Atom(deployment, index, peer));
                    weights = await PullAsync(spec, peer, (offset, count) => peerGrain.ReadWeightsAsync(offset, count));
                    source = peer;
                    transferred = weights.Length;
                    // The peer may hold other content under the same key (a redeploy): then ask the initiator.
                    (module, loadMs) = await TryLoadAsync(weights, spec, peer);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogPeerPullFailed(logger, e, Key, peer);
                }
            }
            if (module is null)
            {
                weights = await PullAsync(spec, request.InitiatorDevice, (offset, count) => request.Initiator.ReadWeightsAsync(deployment, index, offset, count));
                source = request.InitiatorDevice;
                transferred += weights.Length;
                var loadStarted = Stopwatch.GetTimestamp();
                try
                {
                    module = await executor.RunAsync(() => backend.Load(spec, weights)); // verifies size, SHA-256, tensor names and shapes
                }
                catch (AtomFileException e)
                {
                    throw new AdaMecException(AdaMecErrorCode.AtomCorrupt, $"atom {Key} from {source}: {e.Message}");
                }
                loadMs = Stopwatch.GetElapsedTime(loadStarted).TotalMilliseconds;
            }
            transferMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds - loadMs;
            cache.Hold(spec.Sha256); // before the write prunes: this atom's file stays
            try
            {
                var pruned = await cache.WriteAsync(spec.Sha256, weights!);
                if (pruned.Count > 0) LogCachePruned(logger, DeviceId, pruned.Count, cache.LimitBytes);
            }
            catch
            {
                cache.Release(spec.Sha256);
                module.Dispose();
                throw;
            }
        }
        else
        {
            cache.Hold(spec.Sha256);
        }
        var replaced = _module;
        var replacedSpec = _spec;
        _spec = spec;
        _module = module;
        _moduleWarm = false;
        _weightsPath = path;
        _initiator = request.InitiatorDevice;
        if (replaced is not null)
        {
            // No forward pass can be running: this grain is not reentrant and forwards await the executor inside their turn.
            replaced.Dispose();
            cache.Release(replacedSpec!.Sha256);
            LogAtomReplaced(logger, Key, DeviceId, replacedSpec!.Sha256, spec.Sha256);
            await GrainFactory.GetGrain<IDeviceGrain>(DeviceId).ReleaseAsync(Key);
        }
        if (transferred > 0)
        {
            metrics.WeightsMoved.Add(transferred, new(AdaMecTelemetry.Tags.Device, DeviceId), new(AdaMecTelemetry.Tags.From, source));
            metrics.WeightsMoveDuration.Record(transferMs, new(AdaMecTelemetry.Tags.Device, DeviceId), new(AdaMecTelemetry.Tags.From, source));
        }
        await GrainFactory.GetGrain<IDeviceGrain>(DeviceId).AdmitAsync(Key, spec.MemoryBytes, transferred);
        _admitted = true;
        LogAtomResident(logger, Key, DeviceId, transferred, source, transferMs, loadMs);
        return new AtomLoadResult(Key, DeviceId, source, transferred, transferMs, loadMs);
    }

    /// <summary>Loads and verifies on the executor; null (logged) when the bytes are not this spec's weights.</summary>
    private async Task<(IExecutableAtom? Module, double LoadMs)> TryLoadAsync(byte[] weights, AtomSpec spec, string source)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var module = await executor.RunAsync(() => backend.Load(spec, weights));
            return (module, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (AtomFileException e)
        {
            LogWeightsRejected(logger, Key, source, e.Message);
            return (null, 0);
        }
    }

    /// <summary>Same weights and the same operators: the resident module serves this spec.</summary>
    internal static bool SameContent(AtomSpec resident, AtomSpec wanted) =>
        string.Equals(resident.Sha256, wanted.Sha256, StringComparison.OrdinalIgnoreCase)
        && resident.FileBytes == wanted.FileBytes
        && resident.InputBytes == wanted.InputBytes
        && resident.OutputBytes == wanted.OutputBytes
        && resident.InputShape.ToString() == wanted.InputShape.ToString()
        && resident.OutputShape.ToString() == wanted.OutputShape.ToString()
        && resident.Operators.SequenceEqual(wanted.Operators, StringComparer.Ordinal);

    private async Task<byte[]> PullAsync(AtomSpec spec, string from, Func<long, int, Task<WeightChunk>> read)
    {
        var chunk = (int)Math.Min(planner.Value.WeightChunkBytes, messaging.Value.MaxMessageBodySize - TensorSizeGuard.EnvelopeBytes);
        var buffer = new byte[spec.FileBytes];
        var link = GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(from, DeviceId));
        long offset = 0;
        while (offset < buffer.Length)
        {
            var count = (int)Math.Min(chunk, buffer.Length - offset);
            var started = Stopwatch.GetTimestamp();
            // A silo shutting down must not wait for a pull from an initiator that may be gone.
            var piece = await read(offset, count).WaitAsync(lifetime.ApplicationStopping);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (piece.TotalBytes != buffer.Length)
                throw new AdaMecException(AdaMecErrorCode.AtomCorrupt, $"atom {Key}: {from} serves a {piece.TotalBytes}-byte weight file, the manifest says {buffer.Length}");
            if (piece.Data.Length == 0 || piece.Data.Length > count)
                throw new AdaMecException(AdaMecErrorCode.AtomCorrupt, $"atom {Key}: {from} returned {piece.Data.Length} bytes for a {count}-byte read at {offset}");
            piece.Data.CopyTo(buffer, offset);
            offset += piece.Data.Length;
            await link.RecordTransferAsync(new TransferSample(piece.Data.Length, ms)); // one-way: returns at once
        }
        return buffer;
    }

    public async Task<WeightChunk> ReadWeightsAsync(long offset, int count)
    {
        if (_spec is null || _weightsPath is null)
            throw new AdaMecException(AdaMecErrorCode.AtomNotResident, $"atom {Key} is not resident on {DeviceId}; it cannot serve weights");
        if (offset < 0) throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"atom {Key}: offset must be >= 0, got {offset}");
        if (count <= 0) throw new AdaMecException(AdaMecErrorCode.InvalidRequest, $"atom {Key}: count must be > 0, got {count}");
        TensorSizeGuard.Check(count, messaging.Value.MaxMessageBodySize, $"weight slice of atom {Key}");
        await using var file = new FileStream(_weightsPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        file.Position = offset;
        var data = new byte[(int)Math.Min(count, Math.Max(0, file.Length - offset))];
        await file.ReadExactlyAsync(data);
        await Emulate(emulation.Value.TransferDelay(data.Length));
        return new WeightChunk(data, file.Length);
    }

    /// <summary>A hand-over longer than this is not a hop but a pause (a debugger, a stopped process): not charged.</summary>
    private const double MaxHandOverMs = 1000;

    /// <summary>
    /// 0 (to be timed when the pass starts) when the previous atom of this request ran on this device and
    /// nothing else waits in the executor; null otherwise. The time from that atom handing its tensor over
    /// to this pass starting (a grain call, a turn, the executor's hand-off) runs in the same CPU quota as
    /// the passes, yet the cost model counts a hop within a device as free: at a 1-core quota on this
    /// machine requests grew 46% while passes grew 9% (docs/measurements.md). Charging the hop to the
    /// pass's measured time puts it into the device's speed. Not with work queued or running ahead: that wait is
    /// other requests' passes, not this device's speed. The clock is this silo's own (the tensor never
    /// left it).
    /// </summary>
    private double? HandOverMs(ForwardRequest request) =>
        request.FromDevice == DeviceId && request.SentAtUtcTicks > 0 && executor.Queued == 0 && executor.Running == 0 ? 0 : null;

    public async Task RunAsync(ForwardRequest request)
    {
        if (AtomRequestValidation.Forward(request, Key, null, limits.Value) is { } invalid)
        {
            // Refused before anything is recorded or run; a caller that named a reply target hears why.
            LogRequestRefused(logger, Key, request?.RequestId ?? Guid.Empty, invalid);
            if (request?.ReplyTo is { } target)
            {
                await DeliverAsync(target, new ForwardResult(request.Input ?? [], request.AtomIndex, 0, [])
                {
                    Failure = $"atom {Key} refused the request: {invalid}",
                }, request with { Input = request.Input ?? [], Ran = [] });
            }
            return;
        }
        var started = Stopwatch.GetTimestamp();
        // A child of the incoming grain call's span: the request's trace, from the initiator on.
        using var activity = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.AtomForward);
        activity?.SetTag(AdaMecTelemetry.Tags.Device, DeviceId);
        activity?.SetTag(AdaMecTelemetry.Tags.Deployment, request.Deployment);
        activity?.SetTag(AdaMecTelemetry.Tags.Atom, request.AtomIndex);
        activity?.SetTag(AdaMecTelemetry.Tags.InputBytes, request.Input.Length);
        await RecordArrivalAsync(request.FromDevice, request.Input.Length, request.SentAtUtcTicks);
        if (request.ReplyTo is not { } replyTo)
        {
            LogNoReplyTo(logger, Key, request.RequestId);
            return;
        }

        string? failure = null;
        byte[]? output = null;
        var (module, spec) = (_module, _spec);
        if (module is null || spec is null)
        {
            failure = $"atom {Key} is not resident on {DeviceId} (evicted or never offloaded here)";
        }
        else if (request.Input.Length != spec.InputBytes)
        {
            failure = $"atom {Key} expects {spec.InputShape} ({spec.InputBytes} bytes), got {request.Input.Length} bytes";
        }
        else
        {
            var computeStarted = Stopwatch.GetTimestamp();
            var runMs = 0.0; // the pass alone, without the executor's queue: what the device's speed is measured on
            var handOverMs = HandOverMs(request); // the same-device hop before it, charged to the speed too (see there)
            try
            {
                output = await executor.RunAsync(() =>
                {
                    if (handOverMs is not null) handOverMs = (DateTime.UtcNow.Ticks - request.SentAtUtcTicks) / (double)TimeSpan.TicksPerMillisecond;
                    var runStarted = Stopwatch.GetTimestamp();
                    var result = module.Run(request.Input);
                    runMs = Stopwatch.GetElapsedTime(runStarted).TotalMilliseconds;
                    return result;
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = $"atom {Key} failed on {DeviceId}: {e.Message}";
            }
            var computeMs = Stopwatch.GetElapsedTime(computeStarted).TotalMilliseconds;
            if (output is not null)
            {
                metrics.AtomForwardDuration.Record(computeMs, new(AdaMecTelemetry.Tags.Deployment, request.Deployment),
                    new(AdaMecTelemetry.Tags.Atom, request.AtomIndex), new(AdaMecTelemetry.Tags.Device, DeviceId));
                activity?.SetTag(AdaMecTelemetry.Tags.OutputBytes, output.Length);
                activity?.SetTag("adamec.backend", backend.Name);
                var slowdown = emulation.Value.Enabled && device.Value.SpeedFactor > 1 ? device.Value.SpeedFactor : 1;
                // A freshly loaded module's first pass pays one-time costs no later pass pays (kernel
                // selection, the allocator growing): timed, a device read several times slower than it
                // runs until enough later passes outweighed it (docs/cluster.md).
                if (!_moduleWarm) _moduleWarm = true;
                else speedMeter.Record(spec.PredictedMs, runMs * slowdown + (handOverMs is > 0 and < MaxHandOverMs ? handOverMs.Value : 0));
                if (slowdown > 1) await Emulate(TimeSpan.FromMilliseconds(computeMs * (slowdown - 1)));
            }
        }
        if (failure is not null)
        {
            // The initiator holds every atom: it runs this one (on the input it gets back) and goes on.
            LogCannotRun(logger, request.RequestId, Key, failure);
            await DeliverAsync(replyTo, new ForwardResult(request.Input, request.AtomIndex, ServerMs(), request.Ran) { Failure = failure }, request);
            return;
        }

        var next = request.AtomIndex + 1;
        var nextDevice = request.Route.Count > 1 ? request.Route[1] : null;
        var ran = request.Ran.Append(DeviceId).ToArray();
        var limit = messaging.Value.MaxMessageBodySize;
        if (nextDevice is null || nextDevice == request.Initiator)
        {
            await DeliverAsync(replyTo, new ForwardResult(output!, next, ServerMs(), ran), request);
            return;
        }

        var nextKey = GrainKeys.Atom(request.Deployment, next, nextDevice);
        try
        {
            TensorSizeGuard.Check(output!.Length, limit, $"output of atom {Key} to {nextDevice}");
            var sentAt = DateTime.UtcNow.Ticks;
            // The next atom on this same device is a hand-over in memory, not a link transfer: the planner counts it free.
            if (nextDevice != DeviceId) await Emulate(emulation.Value.TransferDelay(output.Length));
            metrics.TensorBytesSent.Add(output.Length, new(AdaMecTelemetry.Tags.From, DeviceId), new(AdaMecTelemetry.Tags.To, nextDevice));
            using var transfer = StartTransfer(nextDevice, next, output.Length);
            // One-way: this atom is free for the next request as soon as the tensor is handed over.
            await GrainFactory.GetGrain<IAtomGrain>(nextKey).RunAsync(request with
            {
                AtomIndex = next,
                Route = request.Route.Skip(1).ToArray(),
                Input = output,
                FromDevice = DeviceId,
                SentAtUtcTicks = sentAt,
                Ran = ran,
                ServerMs = ServerMs(),
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var reason = $"could not pass the output of atom {Key} on to {nextKey}: {e.Message}";
            LogCannotRun(logger, request.RequestId, nextKey, reason);
            await DeliverAsync(replyTo, new ForwardResult(output!, next, ServerMs(), ran) { Failure = reason }, request);
        }

        double ServerMs() => request.ServerMs + Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Sends a segment's result (or failure) to the initiator, one hop; a tensor too large for a message goes back as a failure at the atom that made it.</summary>
    private async Task DeliverAsync(IInitiatorCallback replyTo, ForwardResult result, ForwardRequest request)
    {
        result = result with { RequestId = request.RequestId, Segment = request.Segment, FromDevice = DeviceId };
        try
        {
            if (result.Output.Length > messaging.Value.MaxMessageBodySize - TensorSizeGuard.EnvelopeBytes)
            {
                // Only the input is known to fit (it arrived): the initiator re-runs this atom itself.
                result = result with
                {
                    Output = request.Input,
                    NextAtomIndex = request.AtomIndex,
                    Devices = request.Ran,
                    Failure = $"the output of atom {Key} ({result.Output.Length} bytes) does not fit in one message",
                };
            }
            var sentAt = DateTime.UtcNow.Ticks;
            await Emulate(emulation.Value.TransferDelay(result.Output.Length));
            metrics.TensorBytesSent.Add(result.Output.Length, new(AdaMecTelemetry.Tags.From, DeviceId), new(AdaMecTelemetry.Tags.To, request.Initiator));
            // The one hop back: the initiator's incoming call continues this span's trace.
            using var transfer = StartTransfer(request.Initiator, result.NextAtomIndex, result.Output.Length);
            await replyTo.DeliverAsync(result with { SentAtUtcTicks = sentAt });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The initiator's own timeout (or a plan change) ends its wait for this segment.
            LogDeliveryFailed(logger, e, request.RequestId, Key, request.Initiator);
        }
    }

    /// <summary>
    /// Records the hop the tensor just made as a link sample: arrival on this device's clock minus
    /// the sender's send time on its clock. Exact on one machine; across boards it carries their
    /// clock offset (NTP keeps it to milliseconds), and it includes any wait for this grain's turn.
    /// </summary>
    private async Task RecordArrivalAsync(string from, long bytes, long sentAtUtcTicks)
    {
        if (sentAtUtcTicks <= 0 || from == DeviceId || bytes <= 0) return;
        var ms = Math.Max(0, (DateTime.UtcNow.Ticks - sentAtUtcTicks) / (double)TimeSpan.TicksPerMillisecond);
        await GrainFactory.GetGrain<ILinkGrain>(GrainKeys.Link(from, DeviceId)).RecordTransferAsync(new TransferSample(bytes, ms));
    }

    public Task EvictAsync()
    {
        DropModule(); // the device slot is released when the activation goes (OnDeactivateAsync)
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private Activity? StartTransfer(string to, int atom, long bytes)
    {
        var transfer = AdaMecTelemetry.Activities.StartActivity(AdaMecTelemetry.Spans.TensorTransfer, ActivityKind.Producer);
        transfer?.SetTag(AdaMecTelemetry.Tags.From, DeviceId);
        transfer?.SetTag(AdaMecTelemetry.Tags.To, to);
        transfer?.SetTag(AdaMecTelemetry.Tags.Atom, atom);
        transfer?.SetTag(AdaMecTelemetry.Tags.Bytes, bytes);
        return transfer;
    }

    private static Task Emulate(TimeSpan delay) => delay > TimeSpan.Zero ? Task.Delay(delay) : Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Information, "Atom {Atom} resident on {Device}: {Bytes} bytes from {Source} in {TransferMs:0.0} ms, loaded in {LoadMs:0.0} ms")]
    private static partial void LogAtomResident(ILogger logger, string atom, string device, long bytes, string source, double transferMs, double loadMs);

    [LoggerMessage(2, LogLevel.Warning, "Atom {Atom}: pulling weights from peer {Peer} failed, falling back to the initiator")]
    private static partial void LogPeerPullFailed(ILogger logger, Exception exception, string atom, string peer);

    [LoggerMessage(3, LogLevel.Information, "Atom {Atom} on {Device}: weights {Old} replaced by {New} (the deployment brought other content)")]
    private static partial void LogAtomReplaced(ILogger logger, string atom, string device, string old, string @new);

    [LoggerMessage(4, LogLevel.Warning, "Atom {Atom}: weights from {Source} rejected ({Reason}); fetching them again")]
    private static partial void LogWeightsRejected(ILogger logger, string atom, string source, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Request {Request}: {Atom} cannot run ({Reason}); the initiator continues from it")]
    private static partial void LogCannotRun(ILogger logger, Guid request, string atom, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Request {Request}: atom {Atom} could not deliver to the initiator {Initiator}")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid request, string atom, string initiator);

    [LoggerMessage(7, LogLevel.Warning, "Request {Request} for atom {Atom} names no initiator to deliver to; dropped")]
    private static partial void LogNoReplyTo(ILogger logger, string atom, Guid request);

    [LoggerMessage(8, LogLevel.Information, "Device {Device} pruned {Count} least recently used weight file(s) to stay within {LimitBytes} bytes")]
    private static partial void LogCachePruned(ILogger logger, string device, int count, long limitBytes);

    [LoggerMessage(9, LogLevel.Warning, "Atom {Atom} could not tell device {Device} it is no longer resident")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string atom, string device);

    [LoggerMessage(10, LogLevel.Warning, "Atom {Atom} refused request {Request}: {Reason}")]
    private static partial void LogRequestRefused(ILogger logger, string atom, Guid request, string reason);
}
