using System.CommandLine;
using AdaMec.Cli.Rendering;
using AdaMec.Core.Atoms;
using AdaMec.Prediction.Learning;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec partition --model M --out DIR`: once-for-all pre-partition into atom files.</summary>
internal static class PartitionCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"Zoo model: {string.Join(", ", ModelZoo.Names)}", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for manifest.json and the atom weight files", Required = true };
        var weights = new Option<FileInfo?>("--weights") { Description = "Real weights as a TorchSharp state-dict file (default: seeded zoo weights)" };
        var latency = LatencySources.KindOption();
        var predictor = LatencySources.PredictorOption();
        var json = CliJson.Option("{ model, directory, latencyModel, atoms: [ { id, operators, flops, weightBytes, outputBytes, predictedMs } ], granularities: [ { granularity, units, cutPoints } ] }");
        var noOnnx = new Option<bool>("--no-onnx") { Description = "Write only the weights files, not each atom as an ONNX model too" };
        var command = new Command("partition", "Cut a model into atoms at benefit-filtered operator cut points and store them as files (weights and ONNX models)")
        {
            model, output, weights, latency, predictor, noOnnx, json,
        };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            var source = LatencySources.Resolve(parse.GetValue(latency)!, parse.GetValue(predictor), ModelZoo.Graph(name));
            var manifest = ModelPartitioning.Partition(name, parse.GetValue(output)!.FullName, source, statedict: parse.GetValue(weights)?.FullName, onnx: !parse.GetValue(noOnnx));
            // A predictor with f_mem: devices get its weights and each operator's inputs, and predict
            // every atom under the memory they have (formula 6) without the learners.
            if (source is LearnedLatencyModel learned && AtomMemoryModels.Attach(manifest, learned) is { MemoryModel: not null } withMemory)
            {
                manifest = withMemory;
                manifest.Save(parse.GetValue(output)!.FullName);
            }
            if (parse.GetValue(json)) CliJson.Write(Json(manifest, parse.GetValue(output)!.FullName));
            else Print(manifest, parse.GetValue(output)!.FullName);
            return 0;
        });
        return command;
    }

    private static object Json(AtomManifest manifest, string directory)
    {
        var report = manifest.Partition;
        return new
        {
            model = manifest.Model,
            directory,
            latencyModel = report.LatencyModel,
            atoms = manifest.Atoms.Select(a => new { id = a.Id, operators = a.Operators.Count, flops = a.Flops, weightBytes = a.WeightBytes, outputBytes = a.OutputBytes, predictedMs = a.PredictedMs }),
            granularities = new[]
            {
                new { granularity = "layers", units = report.LayerCutPoints + 1, cutPoints = report.LayerCutPoints },
                new { granularity = "operators", units = report.Operators, cutPoints = report.ValidCutPoints },
                new { granularity = "atoms", units = report.KeptCutPoints + 1, cutPoints = report.KeptCutPoints },
            },
        };
    }

    internal static void Print(AtomManifest manifest, string directory)
    {
        var table = new CliTable("atom", "operators", "MFLOPs", "weights MB", "output KB", "predicted ms");
        foreach (var atom in manifest.Atoms)
        {
            table.Add(atom.Id, atom.Operators.Count, atom.Flops / 1e6, atom.WeightBytes / 1e6, atom.OutputBytes / 1e3, atom.PredictedMs);
        }
        Console.WriteLine($"{manifest.Model}: {manifest.Atoms.Count} atoms in {directory} (latency source: {manifest.Partition.LatencyModel}{(manifest.MemoryModel is null ? "" : "; with f_mem for devices")})");
        table.Write(CliConsole.Out);
        Console.WriteLine();
        PrintGranularities(manifest.Partition);
    }

    /// <summary>The paper's Fig. 3 comparison: partition points and search-space size per granularity.</summary>
    internal static void PrintGranularities(PartitionReport report)
    {
        var table = new CliTable("granularity", "units", "cut points", "plans on 3 devices");
        table.Add("layers", report.LayerCutPoints + 1, report.LayerCutPoints, $"3^{report.LayerCutPoints + 1}");
        table.Add("operators", report.Operators, report.ValidCutPoints, $"3^{report.ValidCutPoints + 1}");
        table.Add("atoms", report.KeptCutPoints + 1, report.KeptCutPoints, $"3^{report.KeptCutPoints + 1}");
        table.Write(CliConsole.Out);
    }
}
