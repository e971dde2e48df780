using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AdaMec.Core.Context;
using Xunit.Abstractions;

namespace AdaMec.Core.Tests.Context;

/// <summary>
/// The estimator against a link that really is rate-limited, in process and without root: real bytes
/// cross a loopback TCP connection paced by a token bucket, and each transfer is timed from the first
/// byte sent to the receiver's acknowledgement, as the silo's active probe times its payloads.
/// </summary>
public sealed class TokenBucketLinkTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(8)]
    [InlineData(40)]
    public async Task Fit_TokenBucketLink_WithinFifteenPercentOfTheRate(double mbps)
    {
        using var link = await PacedLink.OpenAsync(mbps);
        var samples = new List<LinkSample>();
        var options = new LinkProbeOptions();
        double? soFar = null;
        await link.TransferAsync(options.SmallBytes); // warm-up (JIT, first segments), as a probe's first call
        for (var round = 0; round < options.Rounds; round++)
        {
            var (small, large) = LinkProbing.Sizes(soFar, options);
            foreach (var bytes in new[] { small, large })
                samples.Add(new LinkSample(bytes, await link.TransferAsync(bytes), DateTimeOffset.UtcNow));
            soFar = LinkEstimator.Fit(samples)!.Mbps;
        }
        var fit = LinkEstimator.Fit(samples)!;
        Assert.True(fit.Separated);
        output.WriteLine(string.Join(" ", samples.Select(s => $"{s.Bytes}:{s.Milliseconds:0.0}")) + $" -> {fit}");
        Assert.InRange(fit.Mbps, mbps * 0.85, mbps * 1.15);
    }

    /// <summary>A loopback TCP connection whose sender spends tokens at a fixed bit rate (bucket depth 16 KiB).</summary>
    private sealed class PacedLink : IDisposable
    {
        private const int Chunk = 4096;
        private const int BucketBytes = 16 * 1024;
        private readonly Socket _sender;
        private readonly Socket _receiver;
        private readonly double _bytesPerSecond;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _tokensAt; // the bucket is full at this clock time (seconds); it fills at the rate
        private readonly byte[] _payload = new byte[Chunk];

        private PacedLink(Socket sender, Socket receiver, double mbps)
        {
            _sender = sender;
            _receiver = receiver;
            _bytesPerSecond = mbps * 1_000_000 / 8;
        }

        public static async Task<PacedLink> OpenAsync(double mbps)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var accept = listener.AcceptAsync();
            await sender.ConnectAsync(listener.LocalEndPoint!);
            return new PacedLink(sender, await accept, mbps);
        }

        /// <summary>
        /// Sends <paramref name="bytes"/> through the bucket; ms until the receiver acknowledged all of them.
        /// Sender and receiver block on threads of their own: on the thread pool, a test host whose other
        /// tests hold its threads stalls a transfer for the ~0.5 s the pool takes to add one, which is
        /// the machine's noise, not the link's.
        /// </summary>
        public Task<double> TransferAsync(int bytes)
        {
            Exception? received = null;
            var receiver = new Thread(() =>
            {
                try
                {
                    var buffer = new byte[65_536];
                    var left = bytes;
                    while (left > 0) left -= _receiver.Receive(buffer, 0, Math.Min(left, buffer.Length), SocketFlags.None);
                    _receiver.Send(new byte[1]);
                }
                catch (SocketException e)
                {
                    received = e;
                }
            }) { IsBackground = true, Name = "paced-link receiver" };
            var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
            var sender = new Thread(() =>
            {
                try
                {
                    receiver.Start();
                    var started = Stopwatch.GetTimestamp();
                    // Tokens saved while idle, up to the bucket's depth.
                    _tokensAt = Math.Max(_tokensAt, _clock.Elapsed.TotalSeconds - BucketBytes / _bytesPerSecond);
                    for (var sent = 0; sent < bytes; sent += Chunk)
                    {
                        var count = Math.Min(Chunk, bytes - sent);
                        _tokensAt += count / _bytesPerSecond;
                        WaitUntil(_tokensAt);
                        _sender.Send(_payload, 0, count, SocketFlags.None);
                    }
                    var ack = new byte[1];
                    _sender.Receive(ack);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    receiver.Join();
                    if (received is not null) done.SetException(received);
                    else done.SetResult(ms);
                }
                catch (SocketException e)
                {
                    done.SetException(e);
                }
            }) { IsBackground = true, Name = "paced-link sender" };
            sender.Start();
            return done.Task;
        }

        /// <summary>Sleeps whole milliseconds, then spins the rest: a chunk at 40 Mbps is due every 0.8 ms.</summary>
        private void WaitUntil(double seconds)
        {
            while (true)
            {
                var wait = seconds - _clock.Elapsed.TotalSeconds;
                if (wait <= 0) return;
                if (wait >= 0.002) Thread.Sleep(TimeSpan.FromSeconds(wait - 0.001));
                else Thread.SpinWait(64);
            }
        }

        public void Dispose()
        {
            _sender.Dispose();
            _receiver.Dispose();
        }
    }
}
