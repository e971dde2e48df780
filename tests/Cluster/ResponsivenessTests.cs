using System.Diagnostics;
using AdaMec.Interfaces;
using Xunit.Abstractions;

namespace AdaMec.Cluster.Tests;

/// <summary>A silo keeps answering while its atoms run long forward passes.</summary>
[Collection(SharedCluster.Name)]
public sealed class ResponsivenessTests(ThreeSiloCluster fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task StatusCall_WhileVgg16RunsOnTheSameSilo_AnswersUnder50MsAtTheMedian()
    {
        var (directory, manifest) = Models.Shared.Get("vgg16");
        await using var client = fixture.Client();
        using var deployment = await client.DeployAsync(directory, 100_000, "busy-" + Guid.NewGuid().ToString("N")[..6]);
        await deployment.PinAsync(Enumerable.Repeat("edge1", manifest.Atoms.Count).ToArray());
        await deployment.WaitUntilSettledAsync(TimeSpan.FromMinutes(5));
        var input = Models.Input(manifest);
        var device = fixture.Grains.GetGrain<IDeviceGrain>("edge1");
        await device.GetStatusAsync();

        using var stop = new CancellationTokenSource();
        var inferences = 0;
        var callers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await deployment.InferAsync(input);
                Interlocked.Increment(ref inferences);
            }
        })).ToArray();
        var samples = new List<double>();
        try
        {
            while (Volatile.Read(ref inferences) < 1) await Task.Delay(20);
            for (var i = 0; i < 40; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await device.GetStatusAsync();
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await Task.Delay(50);
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(callers);
        }

        samples.Sort();
        var median = samples[samples.Count / 2];
        var p95 = samples[(int)Math.Ceiling(samples.Count * 0.95) - 1];
        output.WriteLine($"status call while VGG16 runs on edge1 (2 callers, {inferences} inferences): median {median:0.0} ms, p95 {p95:0.0} ms, max {samples[^1]:0.0} ms, n {samples.Count}");
        Assert.True(median < 50, $"median status latency {median:0.0} ms (p95 {p95:0.0} ms)");
    }
}
