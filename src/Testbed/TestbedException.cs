namespace AdaMec.Testbed;

/// <summary>The testbed could not do what was asked; the message says what and, for a host command, its output.</summary>
public sealed class TestbedException : Exception
{
    public TestbedException()
    {
    }

    public TestbedException(string message)
        : base(message)
    {
    }

    public TestbedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
