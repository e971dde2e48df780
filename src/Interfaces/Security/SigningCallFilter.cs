using Orleans.Runtime;

namespace AdaMec.Interfaces.Security;

/// <summary>
/// Signs every outgoing grain call with a cluster credential (<see cref="CallSignature"/>): on a client
/// with its own credential, on a silo with the cluster key. A silo's calls made on behalf of a client
/// carry the silo's signature, not the client's: authorization happens where a call enters the cluster.
/// </summary>
public sealed class SigningCallFilter(ClusterCredential credential, TimeProvider? clock = null) : IOutgoingGrainCallFilter
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <inheritdoc />
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        RequestContext.Set(CallSignature.Header, CallSignature.Create(credential, context.TargetId.ToString(), context.InterfaceName, context.MethodName, _clock.GetUtcNow()));
        return context.Invoke();
    }
}
