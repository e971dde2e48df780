using System.Diagnostics;
using AdaMec.Interfaces;

namespace AdaMec.Operations.Tests;

/// <summary>One inference is one trace from the phone across every silo it touches; a re-plan is a trace of its own.</summary>
[Collection(OperationsClusterDefinition.Name)]
public sealed class TracingTests(OperationsCluster fixture)
{
    [Fact]
    public async Task Inference_AtomsOnThreeSilos_OneTraceJoinsEverySilosSpans()
    {
        var result = await fixture.Deployment.InferAsync(fixture.Input);
        Assert.Equal(fixture.Pin, result.Assignment);

        var root = fixture.Spans.Last(s => s.OperationName == AdaMecTelemetry.Spans.Inference && (string?)s.GetTagItem(AdaMecTelemetry.Tags.Deployment) == fixture.Deployment.Id);
        // The last atom's hand-back span stops on its silo after the phone has its answer: wait for it.
        var trace = await WaitForAsync(() => fixture.Spans.Where(s => s.TraceId == root.TraceId).ToArray(),
            spans => spans.Any(s => s.OperationName == AdaMecTelemetry.Spans.TensorTransfer && (string?)s.GetTagItem(AdaMecTelemetry.Tags.To) == "phone"
                && (string?)s.GetTagItem(AdaMecTelemetry.Tags.From) != "phone"));

        var forwards = trace.Where(s => s.OperationName == AdaMecTelemetry.Spans.AtomForward).ToArray();
        Assert.Equal(fixture.Pin.Length, forwards.Length);
        Assert.Equal(OperationsCluster.Devices, forwards.Select(s => (string?)s.GetTagItem(AdaMecTelemetry.Tags.Device)).Distinct().Order());
        foreach (var forward in forwards)
        {
            Assert.True((int)forward.GetTagItem(AdaMecTelemetry.Tags.InputBytes)! > 0);
            Assert.True((int)forward.GetTagItem(AdaMecTelemetry.Tags.OutputBytes)! > 0);
        }
        // Transfers between silos (edge1->edge2, edge2->edge3) and the one hop back to the phone, with sizes.
        var hops = trace.Where(s => s.OperationName == AdaMecTelemetry.Spans.TensorTransfer)
            .Select(s => $"{s.GetTagItem(AdaMecTelemetry.Tags.From)}->{s.GetTagItem(AdaMecTelemetry.Tags.To)}").ToHashSet();
        Assert.Superset(new HashSet<string> { "phone->edge1", "edge1->edge2", "edge2->edge3", "edge3->phone" }, hops);
        Assert.All(trace.Where(s => s.OperationName == AdaMecTelemetry.Spans.TensorTransfer), s => Assert.True((long)s.GetTagItem(AdaMecTelemetry.Tags.Bytes)! > 0));
        // The phone's observer receives the delivery inside the same trace (Orleans' server span of IInitiatorCallback).
        Assert.Contains(trace, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("InitiatorCallback", StringComparison.Ordinal));

        // Joined, not merely sharing an id: each span's parent is a span of the trace, down from the one root.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.Single(trace, s => s.ParentSpanId == default);
        Assert.All(trace.Where(s => s.ParentSpanId != default), s => Assert.Contains(s.ParentSpanId, ids));
        var edge3 = forwards.Single(s => (string?)s.GetTagItem(AdaMecTelemetry.Tags.Device) == "edge3" && (int)s.GetTagItem(AdaMecTelemetry.Tags.Atom)! == 2);
        Assert.Contains(Ancestors(edge3, trace), s => s.OperationName == AdaMecTelemetry.Spans.AtomForward && (string?)s.GetTagItem(AdaMecTelemetry.Tags.Device) == "edge2");
        Assert.Contains(Ancestors(edge3, trace), s => s.OperationName == AdaMecTelemetry.Spans.AtomForward && (string?)s.GetTagItem(AdaMecTelemetry.Tags.Device) == "edge1");
        Assert.Equal(root, Ancestors(edge3, trace).Last());
    }

    [Fact]
    public async Task Replan_OperatorRequest_TraceOfDecisionWithOffloadChildren()
    {
        var pin = fixture.Pin.Select((_, i) => i == 1 ? "edge3" : fixture.Pin[i]).ToArray(); // atom 1 moves edge2 -> edge3
        await fixture.PinAsync(pin);
        try
        {
            // The planner also re-plans on its own when measured context changes (device and initiator speeds), so
            // the operator's re-plan is not necessarily the newest one.
            var replans = fixture.Spans.Where(s => s.OperationName == AdaMecTelemetry.Spans.Replan && (string?)s.GetTagItem(AdaMecTelemetry.Tags.Deployment) == fixture.Deployment.Id).ToList();
            var replan = replans.LastOrDefault(s => (string?)s.GetTagItem(AdaMecTelemetry.Tags.Trigger) == "operator")
                ?? throw new Xunit.Sdk.XunitException($"no operator re-plan span; triggers seen: {string.Join(", ", replans.Select(s => s.GetTagItem(AdaMecTelemetry.Tags.Trigger)))}");
            Assert.Equal(default, replan.ParentSpanId);
            Assert.Equal(string.Join(",", pin), replan.GetTagItem("adamec.plan"));
            Assert.NotEmpty(replan.Links); // the operator's call that caused it
            // An offload step is a span of the newest re-plan when it runs: the operator's, or one of the
            // planner's own that came in between and kept the target.
            Activity[] Since() => fixture.Spans.Where(s => s.OperationName == AdaMecTelemetry.Spans.Replan
                && (string?)s.GetTagItem(AdaMecTelemetry.Tags.Deployment) == fixture.Deployment.Id && s.StartTimeUtc >= replan.StartTimeUtc).ToArray();
            var offloads = await WaitForAsync(() => fixture.Spans.Where(s => s.OperationName == AdaMecTelemetry.Spans.Offload && Since().Any(r => r.SpanId == s.ParentSpanId)).ToArray(), o => o.Length > 0);
            var offload = Assert.Single(offloads);
            var parent = Since().Single(r => r.SpanId == offload.ParentSpanId);
            Assert.Equal(parent.TraceId, offload.TraceId);
            Assert.Equal(1, offload.GetTagItem(AdaMecTelemetry.Tags.Atom));
            Assert.Equal("edge3", offload.GetTagItem(AdaMecTelemetry.Tags.To));
        }
        finally
        {
            await fixture.PinAsync(fixture.Pin);
        }
    }

    private static IEnumerable<Activity> Ancestors(Activity span, Activity[] trace)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        for (var s = span; s.ParentSpanId != default && byId.TryGetValue(s.ParentSpanId, out var parent); s = parent) yield return parent;
    }

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (true)
        {
            var value = read();
            if (done(value) || Stopwatch.GetTimestamp() > deadline) return value;
            await Task.Delay(20);
        }
    }
}
