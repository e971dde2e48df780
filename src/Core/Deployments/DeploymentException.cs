namespace AdaMec.Core.Deployments;

/// <summary>Why a deployment refused an input.</summary>
public enum DeploymentRefusal
{
    /// <summary>Nothing is deployed yet.</summary>
    NotDeployed = 0,
    /// <summary>A value was NaN, infinite, negative or the wrong length.</summary>
    InvalidInput = 1,
    /// <summary>A pinned device is not an active device nor the initiator.</summary>
    UnknownDevice = 2,
    /// <summary>The deployment id belongs to another initiator device.</summary>
    OwnedByAnotherInitiator = 3,
}

/// <summary>A deployment refused an input; the message names the field and the value.</summary>
public sealed class DeploymentException : Exception
{
    public DeploymentException()
    {
    }

    public DeploymentException(string message)
        : base(message)
    {
    }

    public DeploymentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DeploymentException(DeploymentRefusal refusal, string message)
        : base(message) => Refusal = refusal;

    public DeploymentRefusal Refusal { get; }
}
