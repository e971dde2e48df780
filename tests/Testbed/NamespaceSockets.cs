using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AdaMec.Testbed.Tests;

/// <summary>
/// Sockets that live in a testbed device's network namespace, made from this process: a dedicated thread
/// enters the namespace (setns) and creates the socket, which stays there. Lets a test send real bytes over a
/// shaped link without starting a process per device.
/// </summary>
internal static partial class NamespaceSockets
{
    private const int CloneNewNet = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    /// <summary>A TCP socket created inside <paramref name="netns"/>.</summary>
    public static Socket Create(string netns)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine("/run/netns", netns));
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new IOException($"setns into {netns} failed: errno {Marshal.GetLastPInvokeError()}");
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException($"no socket in {netns}", error);
    }

    /// <summary>The median of three <see cref="MeasureMbpsAsync"/> transfers: one delayed by the machine's load does not decide.</summary>
    public static async Task<double> MedianMbpsAsync(string fromNetns, string toNetns, string toAddress, int bytes)
    {
        var rates = new List<double>();
        for (var i = 0; i < 3; i++) rates.Add(await MeasureMbpsAsync(fromNetns, toNetns, toAddress, bytes));
        return rates.Order().ElementAt(1);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> from <paramref name="fromNetns"/> to <paramref name="toAddress"/> in
    /// <paramref name="toNetns"/> over TCP and returns the steady rate the receiver saw, Mbps: from the first eighth
    /// of the bytes to the last, so TCP's slow start and the first call's JIT are not counted. Sender and receiver
    /// block on threads of their own: on the thread pool of a busy test host, a receive waited for a pool thread
    /// and a 20 Mbps link read as 15.5.
    /// </summary>
    public static async Task<double> MeasureMbpsAsync(string fromNetns, string toNetns, string toAddress, int bytes)
    {
        using var listener = Create(toNetns);
        // Bounded socket buffers: a receiver that a loaded machine delays would otherwise find up to a second of
        // data waiting in an autotuned buffer and read it as a burst faster than the link.
        listener.ReceiveBufferSize = 256 * 1024;
        listener.Bind(new IPEndPoint(IPAddress.Parse(toAddress), 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var sender = Create(fromNetns);
        sender.SendBufferSize = 256 * 1024;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var accept = listener.AcceptAsync(timeout.Token).AsTask();
        await sender.ConnectAsync(new IPEndPoint(IPAddress.Parse(toAddress), port), timeout.Token);
        using var receiver = await accept;
        receiver.ReceiveTimeout = sender.SendTimeout = 60_000;
        var send = OnThread("sender", () =>
        {
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < bytes; sent += chunk.Length)
                sender.Send(chunk, 0, Math.Min(chunk.Length, bytes - sent), SocketFlags.None);
            sender.Shutdown(SocketShutdown.Send);
            return 0.0;
        });
        var receive = OnThread("receiver", () =>
        {
            var buffer = new byte[64 * 1024];
            var received = 0L;
            var counted = 0L;
            var clock = new Stopwatch();
            int n;
            while ((n = receiver.Receive(buffer)) > 0)
            {
                received += n;
                if (clock.IsRunning) counted += n;
                else if (received >= bytes / 8) clock.Start();
            }
            Assert.Equal(bytes, received);
            return counted * 8 / clock.Elapsed.TotalSeconds / 1e6;
        });
        await send;
        return await receive;
    }

    private static Task<double> OnThread(string name, Func<double> work)
    {
        var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e) when (e is SocketException or Xunit.Sdk.XunitException)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = "namespace-socket " + name }.Start();
        return done.Task;
    }
}
