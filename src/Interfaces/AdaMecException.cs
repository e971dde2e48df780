namespace AdaMec.Interfaces;

/// <summary>What went wrong, so callers can decide to retry, fall back or report.</summary>
public enum AdaMecErrorCode
{
    /// <summary>Unclassified.</summary>
    Unknown = 0,
    /// <summary>No model is deployed under this id.</summary>
    UnknownDeployment = 1,
    /// <summary>No silo in the cluster serves this device.</summary>
    UnknownDevice = 2,
    /// <summary>The atom is not loaded on the device the request named (evicted or plan moved on).</summary>
    AtomNotResident = 3,
    /// <summary>A tensor or weight slice would not fit in one message.</summary>
    TensorTooLarge = 4,
    /// <summary>A context value was NaN, infinite, negative or otherwise invalid.</summary>
    InvalidContext = 5,
    /// <summary>Weights failed size or SHA-256 verification.</summary>
    AtomCorrupt = 6,
    /// <summary>The manifest or an atom spec is not usable.</summary>
    InvalidModel = 7,
    /// <summary>The deployment id belongs to another initiator device (deploy under another id).</summary>
    DeploymentOwned = 8,
    /// <summary>The call carried no cluster credential, or one that does not verify (cluster key configured).</summary>
    Unauthenticated = 9,
    /// <summary>The caller's role may not make this call (or not on this deployment).</summary>
    Forbidden = 10,
    /// <summary>The atom's manifest signature is missing or does not verify against the silo's trusted keys.</summary>
    AtomUntrusted = 11,
    /// <summary>A request's field is missing, out of range or meant for another grain (the message names the field).</summary>
    InvalidRequest = 12,
}

/// <summary>A clear, serializable error from the AdaMec cluster.</summary>
[GenerateSerializer, Alias("AdaMec.AdaMecException")]
public sealed class AdaMecException : Exception
{
    public AdaMecException() { }

    public AdaMecException(string message) : base(message) { }

    public AdaMecException(string message, Exception innerException) : base(message, innerException) { }

    public AdaMecException(AdaMecErrorCode code, string message) : base(message) => Code = code;

    /// <summary>The kind of failure.</summary>
    [Id(0)]
    public AdaMecErrorCode Code { get; init; }
}
