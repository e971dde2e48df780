namespace AdaMec.Core.Planning;

/// <summary>
/// An invalid planning problem. <see cref="Field"/> is the JSON path of the offending value
/// (for example <c>atoms[2].latencyMs.edge1</c>) so a user can find it in the file.
/// </summary>
public sealed class PlanningProblemException : Exception
{
    public PlanningProblemException()
    {
        Field = string.Empty;
    }

    public PlanningProblemException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    public PlanningProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    public PlanningProblemException(string field, string problem, Exception? innerException = null)
        : base($"{field}: {problem}", innerException)
    {
        Field = field;
    }

    public string Field { get; }
}
