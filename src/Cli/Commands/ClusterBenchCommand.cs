using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AdaMec.Cli.Rendering;
using AdaMec.Client;
using AdaMec.Core.Partitioning;
using AdaMec.Grains;
using AdaMec.Runtime.Atoms;
using AdaMec.Interfaces;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec bench cluster`: three silos on loopback in this process (real TCP between them, no
/// emulation). Measures the median per-boundary overhead of passing a tensor between silos, and
/// end-to-end distributed (atoms round-robin over the three silos) against local chain time.
/// </summary>
internal static class ClusterBenchCommand
{
    private static readonly string[] Devices = ["edge1", "edge2", "edge3"];

    public static Command Create()
    {
        var models = new Option<string[]>("--models") { Description = "zoo models (default: all but vgg16; 'all' adds vgg16)", AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "measured repetitions per figure (median reported)", DefaultValueFactory = _ => 15 };
        var megabytes = new Option<double>("--tensor-mb") { Description = "tensor size for the per-boundary overhead, MB", DefaultValueFactory = _ => 1 };
        var command = new Command("cluster", "per-boundary tensor overhead between silos and distributed vs local time for the zoo") { models, repeats, megabytes };
        command.SetAction(async (parse, _) =>
        {
            var names = parse.GetValue(models) is { Length: > 0 } given
                ? given.Contains("all") ? Runtime.Zoo.ModelZoo.Names.ToArray() : given
                : Runtime.Zoo.ModelZoo.Names.Where(n => n != "vgg16").ToArray();
            return await RunAsync(names, Math.Max(3, parse.GetValue(repeats)), parse.GetValue(megabytes));
        });
        return command;
    }

    private static async Task<int> RunAsync(string[] models, int repeats, double megabytes)
    {
        var root = Path.Combine(Path.GetTempPath(), "adamec-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var cluster = await DevCluster.StartAsync(Devices.Select(d => new DevSilo(d)).ToList(), Path.Combine(root, "cache"), "adamec-bench");
            var options = new AdaMecClientOptions { ClusterId = "adamec-bench", DeviceId = "bench-client" };
            foreach (var g in cluster.Gateways) options.Gateways.Add(g);
            await using var client = await AdaMecClient.ConnectAsync(options);

            var payload = new byte[(int)(megabytes * 1024 * 1024)];
            var probe = client.Cluster.GetGrain<IProbeGrain>("edge1");
            async Task<double> Median(Func<Task> action)
            {
                for (var i = 0; i < 3; i++) await action();
                var samples = new List<double>();
                for (var i = 0; i < repeats; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await action();
                    samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                samples.Sort();
                return samples[samples.Count / 2];
            }
            var direct = await Median(() => probe.RelayAsync(payload, []));
            var twoHops = await Median(() => probe.RelayAsync(payload, ["edge2", "edge3"]));
            var perBoundary = (twoHops - direct) / 2;
            Console.WriteLine($"per-boundary overhead, {megabytes:0.##} MB tensor between silos (loopback TCP, median of {repeats}): {perBoundary:0.00} ms"
                + $"  (client->edge1 {direct:0.00} ms; client->edge1->edge2->edge3 {twoHops:0.00} ms)");
            Console.WriteLine();

            var table = new CliTable("model", "atoms", "device boundaries", "local ms", "distributed ms", "overhead ms", "per boundary ms", "max rel. diff");
            foreach (var model in models)
            {
                var directory = Path.Combine(root, model);
                var manifest = ModelPartitioning.Partition(model, directory, new FlopsLatencyModel());
                var input = TensorCodec.RandomPayload(manifest.InputShape, seed: 1);
                byte[] localOutput = [];
                double local;
                using (var chain = AtomChain.Load(directory))
                    local = await Median(() => { localOutput = chain.Run(input); return Task.CompletedTask; });

                using var deployment = await client.DeployAsync(directory, 100_000, "bench/" + model);
                var plan = Enumerable.Range(0, manifest.Atoms.Count).Select(i => Devices[i % Devices.Length]).ToArray();
                await deployment.PinAsync(plan);
                await deployment.WaitUntilSettledAsync(TimeSpan.FromMinutes(5));
                byte[] output = [];
                var distributed = await Median(async () => output = (await deployment.InferAsync(input)).Output);
                var boundaries = plan.Length + 1; // client -> first, between every atom pair, last -> client
                table.Add(model, manifest.Atoms.Count, boundaries, local, distributed, distributed - local, (distributed - local) / boundaries, TensorCodec.RelativeDifference(output, localOutput).ToString("0.0e0", CultureInfo.InvariantCulture));
                await deployment.PinAsync(Enumerable.Repeat(options.DeviceId, plan.Length).ToArray());
            }
            table.Write(CliConsole.Out);
            Console.WriteLine($"{Environment.ProcessorCount} cores; silos, client and TorchSharp share them. Distributed runs every atom on a different silo than its neighbours.");
            return 0;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

}
