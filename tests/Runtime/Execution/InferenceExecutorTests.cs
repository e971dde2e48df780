using AdaMec.Runtime.Execution;
using Microsoft.Extensions.Options;

namespace AdaMec.Runtime.Tests.Execution;

public sealed class InferenceExecutorTests
{
    private static readonly int[] ZeroOneTwo = [0, 1, 2];

    private static InferenceExecutor Start(int capacity = 4)
    {
        var executor = new InferenceExecutor(Options.Create(new InferenceExecutorOptions { QueueCapacity = capacity }));
        executor.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return executor;
    }

    [Fact]
    public async Task RunAsync_Work_RunsOnADedicatedWorkerThread()
    {
        using var executor = Start();

        var (name, pooled) = await executor.RunAsync(() => (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));

        Assert.Equal("adamec-inference-0", name);
        Assert.False(pooled);
    }

    [Fact]
    public async Task Running_WhileAnItemRuns_OneThenZero()
    {
        using var executor = Start();
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        var work = executor.RunAsync(() => { started.Set(); release.Wait(); return 1; });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var whileRunning = executor.Running;
        release.Set();
        await work;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (executor.Running != 0 && DateTime.UtcNow < deadline) await Task.Delay(10);

        Assert.Equal(1, whileRunning);
        Assert.Equal(0, executor.Running);
    }

    [Fact]
    public async Task RunAsync_WorkThrows_TheCallerSeesTheException()
    {
        using var executor = Start();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => executor.RunAsync<int>(() => throw new InvalidOperationException("boom")));

        Assert.Equal("boom", error.Message);
    }

    [Fact]
    public async Task RunAsync_QueueFull_FailsAtOnceNamingTheOption()
    {
        using var executor = Start(capacity: 2);
        using var gate = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();
        var blocker = executor.RunAsync(() => { running.Set(); gate.Wait(); return 0; });
        running.Wait(TimeSpan.FromSeconds(10));
        var queued = new[] { executor.RunAsync(() => 1), executor.RunAsync(() => 2) };

        var error = await Assert.ThrowsAsync<InferenceQueueFullException>(() => executor.RunAsync(() => 3));

        Assert.Contains("QueueCapacity", error.Message, StringComparison.Ordinal);
        gate.Set();
        var results = await Task.WhenAll(queued.Prepend(blocker));
        Assert.Equal(ZeroOneTwo, results);
    }

    [Fact]
    public async Task StopAsync_QueuedWork_FinishesThenNewWorkIsRefused()
    {
        using var executor = Start();
        var queued = Enumerable.Range(0, 3).Select(i => executor.RunAsync(() => { Thread.Sleep(20); return i; })).ToArray();

        await executor.StopAsync(CancellationToken.None);

        var results = await Task.WhenAll(queued);
        Assert.Equal(ZeroOneTwo, results);
        var error = await Assert.ThrowsAsync<InferenceQueueFullException>(() => executor.RunAsync(() => 0));
        Assert.Contains("stopping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ZeroCapacity_RefusesNamingTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => new InferenceExecutor(Options.Create(new InferenceExecutorOptions { QueueCapacity = 0 })));

        Assert.Contains("QueueCapacity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new InferenceExecutorOptions();

        Assert.Equal(64, options.QueueCapacity);
        Assert.Equal(1, options.Workers);
    }
}
