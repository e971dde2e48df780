using System.ComponentModel.DataAnnotations;

namespace AdaMec.Runtime.Execution;

/// <summary>How a device runs CPU work (forward passes, atom loading and verification) off its request threads.</summary>
public sealed class InferenceExecutorOptions
{
    /// <summary>
    /// Work items that may wait for a worker (1 to 65,536). A full queue fails the caller at once
    /// with <see cref="InferenceQueueFullException"/> rather than making it wait: a waiting caller
    /// holds its grain turn and its message, which then times out far away from the cause, while a
    /// refused one can run the work elsewhere (the initiator holds every atom).
    /// </summary>
    /// <value>The default value is 64.</value>
    [Range(1, 65_536)]
    public int QueueCapacity { get; set; } = 64;

    /// <summary>
    /// Dedicated worker threads (1 to 64). libtorch already spreads one forward pass over its
    /// intra-op threads, so more workers mostly help when many small atoms run at once.
    /// </summary>
    /// <value>The default value is 1.</value>
    [Range(1, 64)]
    public int Workers { get; set; } = 1;
}
