using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using AdaMec.Testbed;

namespace AdaMec.Demo.Scenarios;

public sealed partial class TestbedStage
{
    /// <summary>
    /// Follows the phone's log: each JSON request line of <c>adamec client --json</c> becomes a <see cref="StageRequest"/>.
    /// Stopping kills the phone right after an answer, while it waits out its interval, so no request is cut off
    /// (SIGKILL: adamec client started from a test host did not end on SIGINT or SIGTERM); the channel completes
    /// when the phone has exited and its log is read to the end.
    /// </summary>
    private sealed class PhoneStream : IAsyncDisposable
    {
        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);
        private static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(1);

        private readonly AdaMec.Testbed.Testbed _testbed;
        private readonly int _pid;
        private readonly string _log;
        private readonly ChannelWriter<StageRequest> _requests;
        private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _abort = new();
        private readonly Queue<string> _otherLines = new();
        private readonly Task _reader;
        private volatile bool _stopping;

        public PhoneStream(AdaMec.Testbed.Testbed testbed, int pid, string log, ChannelWriter<StageRequest> requests)
        {
            _testbed = testbed;
            _pid = pid;
            _log = log;
            _requests = requests;
            _reader = Task.Run(ReadAsync);
        }

        public async Task WaitForFirstAnswerAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            try
            {
                await _firstAnswer.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TestbedException($"the phone did not answer a request within {timeout.TotalSeconds:0} s; the end of {_log}:\n{Tail()}");
            }
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            _stopping = true;
            try
            {
                await _reader.WaitAsync(StopTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                // No answer came to stop after (a request hung): interrupt it; the channel still completes.
                _testbed.Signal(_pid, "KILL");
                await _reader.WaitAsync(StopTimeout, cancellationToken);
            }
        }

        /// <summary>The phone's last lines that were not requests (its errors), for a log.</summary>
        public string OtherOutput => Tail();

        public async ValueTask DisposeAsync()
        {
            _stopping = true;
            if (AdaMec.Testbed.Testbed.IsRunning(_pid)) _testbed.Signal(_pid, "KILL");
            try
            {
                await _reader.WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                await _abort.CancelAsync();
            }

            _abort.Dispose();
        }

        private async Task ReadAsync()
        {
            try
            {
                // The phone's shell creates the log as it starts; wait for it.
                while (!File.Exists(_log))
                {
                    if (!AdaMec.Testbed.Testbed.IsRunning(_pid)) throw new TestbedException($"the phone (pid {_pid}) exited before writing {_log}");
                    await Task.Delay(Poll, _abort.Token);
                }

                await using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var decoder = Encoding.UTF8.GetDecoder();
                var bytes = new byte[64 * 1024];
                var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
                var pending = new StringBuilder();
                while (true)
                {
                    var running = AdaMec.Testbed.Testbed.IsRunning(_pid);
                    var read = await stream.ReadAsync(bytes, _abort.Token);
                    if (read == 0)
                    {
                        // Exited and read to the end: done (a line without its newline still counts).
                        if (!running)
                        {
                            if (pending.Length > 0) Line(pending.ToString());
                            break;
                        }

                        await Task.Delay(Poll, _abort.Token);
                        continue;
                    }

                    var count = decoder.GetChars(bytes, 0, read, chars, 0);
                    pending.Append(chars, 0, count);
                    // Whole lines only: the phone may be half-way through writing one.
                    var text = pending.ToString();
                    var end = text.LastIndexOf('\n');
                    if (end < 0) continue;
                    pending.Clear().Append(text, end + 1, text.Length - end - 1);
                    foreach (var line in text[..end].Split('\n')) Line(line);
                }

                if (!_firstAnswer.Task.IsCompleted)
                    _firstAnswer.TrySetException(new TestbedException($"the phone exited before answering a request; the end of {_log}:\n{Tail()}"));
                _requests.TryComplete();
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or TestbedException)
            {
                _firstAnswer.TrySetException(e is TestbedException ? e : new TestbedException($"reading the phone's log {_log} failed: {e.Message}", e));
                _requests.TryComplete(e is OperationCanceledException ? null : e);
            }
        }

        private void Line(string line)
        {
            line = line.Trim();
            if (Parse(line) is not { } request)
            {
                if (line.Length == 0) return;
                lock (_otherLines)
                {
                    _otherLines.Enqueue(line);
                    if (_otherLines.Count > 20) _otherLines.Dequeue();
                }

                return;
            }

            _requests.TryWrite(request);
            _firstAnswer.TrySetResult();
            // Right after an answer the phone waits out its interval: killing it now cuts no request short.
            if (_stopping && AdaMec.Testbed.Testbed.IsRunning(_pid)) _testbed.Signal(_pid, "KILL");
        }

        /// <summary>A request line of <c>adamec client --json</c> (the summary line and anything else: null).</summary>
        internal static StageRequest? Parse(string line)
        {
            if (!line.StartsWith('{')) return null;
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out _) || !root.TryGetProperty("ok", out var ok)) return null;
                if (!ok.GetBoolean())
                    return new StageRequest(DateTimeOffset.UtcNow, false, 0, 0, [], root.TryGetProperty("error", out var error) ? error.GetString() ?? "failed" : "failed");
                var assignment = root.GetProperty("assignment").EnumerateArray().Select(a => a.GetString() ?? "").ToList();
                return new StageRequest(DateTimeOffset.UtcNow, true, root.GetProperty("latencyMs").GetDouble(), root.GetProperty("planVersion").GetInt32(), assignment, null);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                return null;
            }
        }

        private string Tail()
        {
            lock (_otherLines) return _otherLines.Count == 0 ? "(no output besides requests)" : string.Join('\n', _otherLines);
        }
    }
}
