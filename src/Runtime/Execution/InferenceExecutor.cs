using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Runs a device's CPU work — forward passes, atom loading, SHA-256 verification — on dedicated
/// worker threads fed by a bounded queue, so the threads that serve requests (an Orleans silo's
/// scheduler, messaging and membership) never block on it. Callers await <see cref="RunAsync{T}"/>.
/// A full queue refuses new work at once (<see cref="InferenceQueueFullException"/>).
/// </summary>
public sealed partial class InferenceExecutor : IHostedService, IDisposable
{
    private readonly Channel<WorkItem> _queue;
    private readonly InferenceExecutorOptions _options;
    private readonly ILogger _logger;
    private readonly IExecutionBackend? _backend;
    private readonly Thread[] _workers;
    private int _started;
    private bool _stopping;

    /// <param name="options">Queue and workers.</param>
    /// <param name="logger">Where the start is logged.</param>
    /// <param name="backend">The backend whose work this executor runs (named in the log); creating it first applies its thread setting.</param>
    public InferenceExecutor(IOptions<InferenceExecutorOptions> options, ILogger<InferenceExecutor>? logger = null, IExecutionBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(_options, new ValidationContext(_options), results, validateAllProperties: true))
            throw new ArgumentException("invalid inference executor options: " + string.Join("; ", results.Select(r => r.ErrorMessage)), nameof(options));
        _logger = logger ?? NullLogger<InferenceExecutor>.Instance;
        _backend = backend;
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails on a full queue; nothing waits
            SingleReader = _options.Workers == 1,
        });
        _workers = Enumerable.Range(0, _options.Workers).Select(i => new Thread(Work)
        {
            IsBackground = true,
            Name = $"adamec-inference-{i}",
        }).ToArray();
    }

    /// <summary>Work items waiting for a worker now.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Work items a worker is running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>The queue's capacity.</summary>
    public int Capacity => _options.QueueCapacity;

    private int _running;

    /// <summary>Starts the workers (idempotent).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return Task.CompletedTask;
        LogStarted(_logger, _options.Workers, _backend?.Name ?? "unnamed", _backend?.Threads is { } threads ? threads.ToString(System.Globalization.CultureInfo.InvariantCulture) : "the library's default", _options.QueueCapacity);
        foreach (var worker in _workers) worker.Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops taking work, lets queued work finish (until <paramref name="cancellationToken"/> fires), then returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _stopping, true);
        _queue.Writer.TryComplete();
        if (Volatile.Read(ref _started) == 0)
        {
            while (_queue.Reader.TryRead(out var item)) item.Cancel();
            return;
        }
        var done = _workers.Select(w => Task.Run(() => w.Join())).ToArray();
        try { await Task.WhenAll(done).WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { /* the host gave up waiting; the threads are background threads */ }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread and completes with its result or exception.
    /// Fails at once with <see cref="InferenceQueueFullException"/> when the queue is full or the executor stopped.
    /// Cancellation withdraws work that has not started; started work runs to its end.
    /// </summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            return Task.FromException<T>(new InferenceQueueFullException(Volatile.Read(ref _stopping)
                ? "the inference executor is stopping; no new work is taken"
                : $"the inference executor's queue is full ({_options.QueueCapacity} items waiting; InferenceExecutor:QueueCapacity)"));
        }
        return item.Task;
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread.</summary>
    public Task RunAsync(Action work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync(() => { work(); return true; }, cancellationToken);
    }

    private void Work()
    {
        var reader = _queue.Reader;
        while (true)
        {
            WorkItem? item;
            while (!reader.TryRead(out item))
            {
                // A dedicated thread: blocking here costs no request thread.
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
            }
            Interlocked.Increment(ref _running);
            try { item.Execute(); }
            finally { Interlocked.Decrement(ref _running); }
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _stopping, true);
        _queue.Writer.TryComplete();
    }

    [LoggerMessage(1, LogLevel.Information, "Inference executor: {Workers} worker thread(s) for the {Backend} backend, intra-op threads {Threads}, queue of {Capacity}")]
    private static partial void LogStarted(ILogger logger, int workers, string backend, string threads, int capacity);

    private abstract class WorkItem
    {
        public abstract void Execute();

        public abstract void Cancel();
    }

    private sealed class WorkItem<T>(Func<T> work, CancellationToken cancellationToken) : WorkItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override void Execute()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                _completion.TrySetResult(work());
            }
            catch (Exception e)
            {
                _completion.TrySetException(e);
            }
        }

        public override void Cancel() => _completion.TrySetCanceled();
    }
}
