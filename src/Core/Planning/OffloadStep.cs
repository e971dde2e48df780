namespace AdaMec.Core.Planning;

/// <summary>
/// One step of the offloading order: ship <see cref="Atom"/>'s weights from <see cref="From"/> (the
/// device holding them) to <see cref="To"/> along <see cref="Route"/>, then switch the live plan
/// for that atom. <see cref="CompletesAtMs"/> is when the step ends if steps run one after another;
/// <see cref="PredictedLatencyMs"/> is the latency of the live plan after it (the time-to-benefit
/// curve), +infinity while the half-switched plan crosses a missing link.
/// </summary>
public sealed record OffloadStep(
    string Atom,
    string From,
    string To,
    double TransferMs,
    double CompletesAtMs,
    double PredictedLatencyMs,
    IReadOnlyList<string> Route);
