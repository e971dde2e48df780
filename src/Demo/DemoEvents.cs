using AdaMec.Interfaces;

namespace AdaMec.Demo;

/// <summary>Something the demo did or saw, for whoever shows it (the CLI renders each as it comes).</summary>
public abstract record DemoEvent;

/// <summary>A numbered step begins.</summary>
/// <param name="Number">The step's number.</param>
/// <param name="Of">How many steps the whole demo has.</param>
/// <param name="Title">What the step does.</param>
/// <param name="Notes">Further lines about it (emulation settings, gateways).</param>
public sealed record DemoStep(int Number, int Of, string Title, IReadOnlyList<string> Notes) : DemoEvent;

/// <summary>A line of narration inside a step (a context change about to happen).</summary>
public sealed record DemoNote(string Text) : DemoEvent;

/// <summary>Requests sent since the last batch, with where each atom ran.</summary>
public sealed record DemoRequests(IReadOnlyList<DemoRequest> Requests) : DemoEvent;

/// <summary>One request of the demo.</summary>
/// <param name="Number">Its number since the deployment.</param>
/// <param name="LatencyMs">End-to-end latency seen by the phone.</param>
/// <param name="PlanVersion">The plan version that served it.</param>
/// <param name="Assignment">The device each atom ran on.</param>
/// <param name="MaxRelDiff">Largest relative difference of the output to the local chain's.</param>
public sealed record DemoRequest(int Number, double LatencyMs, int PlanVersion, IReadOnlyList<string> Assignment, double MaxRelDiff);

/// <summary>The planner grain's plan history at this point.</summary>
public sealed record DemoHistory(string Caption, IReadOnlyList<PlanRecord> Records) : DemoEvent;
