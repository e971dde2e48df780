namespace AdaMec.Core.Scenarios;

/// <summary>
/// An invalid scenario trace. <see cref="Field"/> is the JSON path of the offending value (for example
/// <c>events[4].mbps</c>), so the message names the field and, for an event, its index.
/// </summary>
public sealed class ScenarioTraceException : Exception
{
    public ScenarioTraceException()
    {
        Field = string.Empty;
    }

    public ScenarioTraceException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    public ScenarioTraceException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    public ScenarioTraceException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
    }

    public string Field { get; }
}
