namespace AdaMec.Core.Planning;

/// <summary>
/// A directed link. Links are directed because real uplinks and downlinks differ; a pair of devices
/// without a link in one direction cannot send that way (the cost model treats it as unreachable).
/// </summary>
public sealed record PlanningLink(string From, string To, double Mbps, double LatencyMs);
