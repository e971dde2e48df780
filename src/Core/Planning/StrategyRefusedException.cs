namespace AdaMec.Core.Planning;

/// <summary>
/// A strategy declines a problem outside its scope (the exhaustive search above its size limit).
/// This is the one exception a strategy may throw for a valid problem; the message says why.
/// </summary>
public sealed class StrategyRefusedException : InvalidOperationException
{
    public StrategyRefusedException()
    {
    }

    public StrategyRefusedException(string message)
        : base(message)
    {
    }

    public StrategyRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
