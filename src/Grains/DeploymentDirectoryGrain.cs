using AdaMec.Interfaces;

namespace AdaMec.Grains;

/// <summary>The cluster's durable list of deployment ids (one grain, key <see cref="GrainKeys.Directory"/>).</summary>
internal sealed class DeploymentDirectoryGrain(
    [PersistentState("directory", AdaMecStorage.Name)] IPersistentState<DeploymentDirectoryState> state) : Grain, IDeploymentDirectoryGrain
{
    public async Task RegisterAsync(string deployment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        var list = state.State.Deployments;
        var at = list.BinarySearch(deployment, StringComparer.Ordinal);
        if (at >= 0) return;
        list.Insert(~at, deployment);
        await state.WriteStateAsync();
    }

    public async Task UnregisterAsync(string deployment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deployment);
        if (state.State.Deployments.Remove(deployment)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> ListAsync() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.Deployments.ToArray());
}

/// <summary>What the deployment directory stores.</summary>
[GenerateSerializer, Alias("AdaMec.DeploymentDirectoryState")]
public sealed class DeploymentDirectoryState
{
    /// <summary>Deployment ids, ordinal order.</summary>
    [Id(0)]
    public List<string> Deployments { get; set; } = [];
}
