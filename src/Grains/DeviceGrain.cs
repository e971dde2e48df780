using AdaMec.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace AdaMec.Grains;

/// <summary>
/// One per device, on that device's silo: budgets, live resources, and the resident atom cache with
/// first-in-first-out eviction under the memory budget (paper §5.2.2).
/// </summary>
[DevicePlacement]
internal sealed class DeviceGrain(
    IOptions<DeviceOptions> device,
    IOptions<EmulationOptions> emulation,
    ILocalSiloDetails silo,
    ILogger<DeviceGrain> logger) : Grain, IDeviceGrain
{
    private readonly LinkedList<(string Key, long Bytes)> _resident = new();
    private readonly List<string> _evicted = [];
    private readonly HashSet<string> _subscribers = new(StringComparer.Ordinal);
    private DeviceBudgets _budgets = new(
        device.Value.MemoryBudgetMb is { } mb ? (long)(mb * 1024 * 1024) : null,
        device.Value.ComputeBudgetMflops is { } mflops ? mflops * 1e6 : null);
    private long _received;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var expected = this.GetPrimaryKeyString();
        if (expected != device.Value.Id)
        {
            Log.Misplaced(logger, expected, device.Value.Id, expected);
            this.MigrateOnIdle();
        }
        return Task.CompletedTask;
    }

    public Task<DeviceStatus> GetStatusAsync() => Task.FromResult(new DeviceStatus(
        device.Value.Id,
        silo.SiloAddress.ToString(),
        device.Value.SpeedFactor,
        _budgets,
        ResourceProbe.AvailableMemoryBytes(),
        ResourceProbe.CpuLoad(),
        _resident.Sum(r => r.Bytes),
        _resident.Select(r => r.Key).ToArray(),
        _received,
        _evicted.ToArray(),
        emulation.Value.Enabled));

    public Task SetBudgetsAsync(DeviceBudgets budgets)
    {
        ArgumentNullException.ThrowIfNull(budgets);
        if (budgets.MemoryBudgetBytes is < 0)
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"memory budget of {device.Value.Id} must be >= 0, got {budgets.MemoryBudgetBytes}");
        if (budgets.ComputeBudgetFlops is { } flops && (!double.IsFinite(flops) || flops < 0))
            throw new AdaMecException(AdaMecErrorCode.InvalidContext, $"compute budget of {device.Value.Id} must be a finite number >= 0, got {flops}");
        var changed = budgets != _budgets;
        _budgets = budgets;
        if (changed)
        {
            foreach (var deployment in _subscribers) _ = GrainFactory.GetGrain<IPlannerGrain>(deployment).ContextChangedAsync(new ContextSignal(ContextSignalKind.Budgets, device.Value.Id, $"budgets of {device.Value.Id}"));
            EvictOverBudget(null);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> AdmitAsync(string atomKey, long memoryBytes, long bytesReceived)
    {
        _received += bytesReceived;
        if (!_resident.Any(r => r.Key == atomKey)) _resident.AddLast((atomKey, memoryBytes));
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
        return Task.CompletedTask;
    }

    public Task SubscribeAsync(ContextSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        _subscribers.Add(subscription.Deployment);
        return Task.CompletedTask;
    }

    /// <summary>Oldest first, never the atom just admitted. Eviction is one-way so no call cycle can form.</summary>
    private List<string> EvictOverBudget(string? keep)
    {
        var evicted = new List<string>();
        if (_budgets.MemoryBudgetBytes is not { } budget) return evicted;
        var node = _resident.First;
        while (node is not null && _resident.Sum(r => r.Bytes) > budget)
        {
            var next = node.Next;
            if (node.Value.Key != keep)
            {
                Log.Evicting(logger, device.Value.Id, node.Value.Key, budget);
                evicted.Add(node.Value.Key);
                _evicted.Add(node.Value.Key);
                _resident.Remove(node);
                AdaMecTelemetry.AtomsEvicted.Add(1);
                _ = GrainFactory.GetGrain<IAtomGrain>(node.Value.Key).EvictAsync();
            }
            node = next;
        }
        return evicted;
    }
}
