namespace AdaMec.Runtime.Execution;

/// <summary>The inference executor's queue is full (or the executor is stopping): the work was not started.</summary>
public sealed class InferenceQueueFullException : Exception
{
    public InferenceQueueFullException() { }

    public InferenceQueueFullException(string message) : base(message) { }

    public InferenceQueueFullException(string message, Exception innerException) : base(message, innerException) { }
}
