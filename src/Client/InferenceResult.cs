namespace AdaMec.Client;

/// <summary>One inference as the app saw it.</summary>
/// <param name="Id">The request id (also in the cluster's logs).</param>
/// <param name="Output">The model's output tensor (float32 bytes).</param>
/// <param name="LatencyMs">End-to-end time at the initiator.</param>
/// <param name="Assignment">Where each atom actually ran.</param>
/// <param name="PlanVersion">The live plan version the request started on.</param>
/// <param name="Retries">Cluster segments retried on a newer plan or run locally after a failure.</param>
/// <param name="RanLocallyAfterFailure">True when some atoms ran on the initiator because the cluster failed them.</param>
public sealed record InferenceResult(
    Guid Id,
    byte[] Output,
    double LatencyMs,
    IReadOnlyList<string> Assignment,
    int PlanVersion,
    int Retries,
    bool RanLocallyAfterFailure)
{
    /// <summary>True when a cluster segment failed (atom not resident, timeout, device gone, ...) and the request went on without it: retried on a newer plan or run here.</summary>
    public bool FellBack { get; init; }

    /// <summary>Why each fallback happened ('; '-separated), or null when none did.</summary>
    public string? FallbackReason { get; init; }
}
