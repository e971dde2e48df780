using System.CommandLine;
using System.Diagnostics;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Atoms;
using AdaMec.Runtime.Atoms;
using static TorchSharp.torch;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec run --atoms DIR [--input FILE]`: local chained inference with top-5 and timing.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var atoms = new Option<DirectoryInfo>("--atoms") { Description = "Folder written by `adamec partition`", Required = true };
        var input = new Option<FileInfo?>("--input") { Description = "Input tensor as raw little-endian float32 in the model's input shape (default: seeded random)" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs after a warm-up (median reported)", DefaultValueFactory = _ => 5 };
        var upto = new Option<int?>("--upto") { Description = "Load and run only the first K atoms (partial chain)" };
        var json = CliJson.Option("{ model, atoms, of, outputShape, top5: [ { rank, index, value, softmax } ], loadMs, medianMs, minMs, maxMs, runs }");
        var threads = new Option<int?>("--threads") { Description = "Torch intra-op threads (default: all cores)" };
        var command = new Command("run", "Run the atoms locally as a chain; print the top-5 outputs and the time") { atoms, input, repeats, upto, threads, json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(threads) is { } t) set_num_threads(t);
            var n = parse.GetValue(repeats);
            if (n < 1) throw new ArgumentException("--repeats must be at least 1");
            var load = Stopwatch.StartNew();
            using var chain = AtomChain.Load(parse.GetValue(atoms)!.FullName, parse.GetValue(upto));
            var loadMs = load.Elapsed.TotalMilliseconds;
            var bytes = ReadInput(parse.GetValue(input), chain.Manifest);

            var output = chain.Run(bytes);
            var times = Enumerable.Range(0, n).Select(_ =>
            {
                var start = Stopwatch.GetTimestamp();
                chain.Run(bytes);
                return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }).Order().ToArray();

            var last = chain.Atoms[^1];
            var top5 = Top5(output, last);
            if (parse.GetValue(json))
            {
                CliJson.Write(new
                {
                    model = chain.Manifest.Model, atoms = chain.Atoms.Count, of = chain.Manifest.Atoms.Count, outputShape = last.OutputShape.ToString(),
                    top5 = top5.Select(row => new { rank = row.Rank, index = row.Index, value = row.Value, softmax = row.Softmax }),
                    loadMs, medianMs = times[n / 2], minMs = times[0], maxMs = times[^1], runs = n,
                });
                return 0;
            }
            Console.WriteLine($"{chain.Manifest.Model}: {chain.Atoms.Count} of {chain.Manifest.Atoms.Count} atoms, output {last.OutputShape}");
            var table = new CliTable("rank", "index", "value", "softmax");
            foreach (var row in top5) table.Add(row.Rank, row.Index, row.Value, row.Softmax);
            table.Write(CliConsole.Out);
            Console.WriteLine($"load {loadMs:0.0} ms; inference median {times[n / 2]:0.00} ms over {n} runs (min {times[0]:0.00}, max {times[^1]:0.00})");
            return 0;
        });
        return command;
    }

    private static byte[] ReadInput(FileInfo? file, AtomManifest manifest)
    {
        if (file is null) return TensorCodec.RandomPayload(manifest.InputShape, seed: 42);
        if (!file.Exists) throw new FileNotFoundException($"Input file '{file.FullName}' does not exist.", file.FullName);
        var bytes = File.ReadAllBytes(file.FullName);
        return bytes.Length == manifest.InputShape.Bytes
            ? bytes
            : throw new InvalidDataException(
                $"Input file has {bytes.Length} bytes; {manifest.Model} takes {manifest.InputShape} float32 = {manifest.InputShape.Bytes} bytes.");
    }

    private static List<(int Rank, long Index, float Value, float Softmax)> Top5(byte[] output, AtomSpec last)
    {
        using var scope = NewDisposeScope();
        var logits = TensorCodec.Decode(output, last.OutputShape).flatten();
        var probabilities = logits.softmax(0);
        var (values, indices) = logits.topk((int)Math.Min(5, logits.shape[0]));
        var top = new List<(int, long, float, float)>();
        for (var i = 0; i < values.shape[0]; i++)
        {
            var index = indices[i].item<long>();
            top.Add((i + 1, index, values[i].item<float>(), probabilities[index].item<float>()));
        }
        return top;
    }
}
