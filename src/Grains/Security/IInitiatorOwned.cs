namespace AdaMec.Grains.Security;

/// <summary>A grain that belongs to one initiator's deployment: the call filter lets only that initiator in.</summary>
internal interface IInitiatorOwned
{
    /// <summary>The initiator device the grain's deployment belongs to; null while it has none (not yet deployed or loaded).</summary>
    string? OwnerInitiator { get; }
}
