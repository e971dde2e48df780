using System.CommandLine;
using System.Diagnostics;
using AdaMec.Cli.Rendering;
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
        var upto = new Option<int?>("--upto") { Description = "Load and run only the first K atoms (partial chain; default: all)" };
        var json = CliJson.Option("{ model, atoms, of, outputShape, top5: [ { rank, index, value, softmax } ], loadMs, medianMs, minMs, maxMs, runs }");
        var threads = new Option<int?>("--threads") { Description = "Torch intra-op threads (default: all cores)" };
        var command = new Command("run", "Run the atoms locally as a chain; print the top-5 outputs and the time") { atoms, input, repeats, upto, threads, json };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(repeats);
            if (n < 1) throw new ArgumentException("--repeats must be at least 1");
            if (parse.GetValue(threads) is < 1) throw new ArgumentException("--threads must be at least 1");
            var load = Stopwatch.StartNew();
            using var chain = AtomChain.Load(parse.GetValue(atoms)!.FullName, parse.GetValue(upto));
            var loadMs = load.Elapsed.TotalMilliseconds;
            var bytes = ModelInput.Read(parse.GetValue(input)?.FullName, chain.Manifest);

            var last = chain.Atoms[^1];
            var top5 = OutputRanking.Top(chain.Run(bytes), last.OutputShape);
            var timing = AtomChainTimer.Measure(chain, bytes, parse.GetValue(threads) ?? get_num_threads(), n);
            if (parse.GetValue(json))
            {
                CliJson.Write(new
                {
                    model = chain.Manifest.Model, atoms = chain.Atoms.Count, of = chain.Manifest.Atoms.Count, outputShape = last.OutputShape.ToString(),
                    top5 = top5.Select(row => new { rank = row.Rank, index = row.Index, value = row.Value, softmax = row.Softmax }),
                    loadMs, medianMs = timing.ChainMs, minMs = timing.ChainMinMs, maxMs = timing.ChainMaxMs, runs = n,
                });
                return 0;
            }
            Console.WriteLine($"{chain.Manifest.Model}: {chain.Atoms.Count} of {chain.Manifest.Atoms.Count} atoms, output {last.OutputShape}");
            var table = new CliTable("rank", "index", "value", "softmax");
            foreach (var row in top5) table.Add(row.Rank, row.Index, row.Value, row.Softmax);
            table.Write(CliConsole.Out);
            Console.WriteLine($"load {loadMs:0.0} ms; inference median {timing.ChainMs:0.00} ms over {n} runs (min {timing.ChainMinMs:0.00}, max {timing.ChainMaxMs:0.00})");
            return 0;
        });
        return command;
    }
}
