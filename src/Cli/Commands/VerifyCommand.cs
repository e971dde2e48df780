using System.CommandLine;
using AdaMec.Cli.Rendering;
using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Execution;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec verify --atoms DIR`: chained atoms must equal the whole model.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var atoms = new Option<DirectoryInfo>("--atoms") { Description = "Folder written by `adamec partition`", Required = true };
        var weights = new Option<FileInfo?>("--weights") { Description = "The state-dict file the atoms were cut from (absent: the zoo's seeded weights the manifest names)" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest relative difference allowed", DefaultValueFactory = _ => AtomVerifier.DefaultTolerance };
        var backend = new Option<string>("--backend")
        {
            Description = "What runs the chain: torch (the weights files on TorchSharp) or onnx (the ONNX models on ONNX Runtime); the reference is the whole model on TorchSharp",
            DefaultValueFactory = _ => ExecutionBackends.Torch,
        };
        backend.AcceptOnlyFromAmong(ExecutionBackends.Torch, ExecutionBackends.Onnx);
        var json = CliJson.Option("{ model, backend, reference, tolerance, ok, boundaries: [ { atomId, afterOperator, maxAbsDiff, magnitude, relative, ok } ] } (exit 1 when not ok)");
        var command = new Command("verify", "Run the atoms as a chain and the whole model; compare every boundary and the output") { atoms, weights, tolerance, backend, json };
        command.SetAction(parse =>
        {
            var report = AtomVerifier.Verify(parse.GetValue(atoms)!.FullName, parse.GetValue(weights)?.FullName, parse.GetValue(tolerance), parse.GetValue(backend)!);
            if (parse.GetValue(json))
                CliJson.Write(new { model = report.Model, backend = report.Backend, reference = report.Reference, tolerance = report.Tolerance, ok = report.Ok, boundaries = report.Boundaries });
            else Print(report);
            return report.Ok ? 0 : throw Failed(report);
        });
        return command;
    }

    /// <summary>What a failed verification exits with (through <see cref="CliErrors"/>), after the table said which boundaries.</summary>
    internal static CommandFailedException Failed(AtomVerifier.Report report) =>
        new($"verify: {report.Boundaries.Count(b => !b.Ok)} of {report.Boundaries.Count} boundaries of {report.Model} differ from the whole model by more than {report.Tolerance:0e0}");

    internal static void Print(AtomVerifier.Report report)
    {
        Console.WriteLine($"{report.Model}: chained atoms on {report.Backend} vs {report.Reference}");
        var table = new CliTable("boundary", "after", "max |diff|", "max |whole|", "relative", "");
        foreach (var b in report.Boundaries)
        {
            table.Add(b.AtomId, b.AfterOperator, b.MaxAbsDiff.ToString("0.###e0", System.Globalization.CultureInfo.InvariantCulture),
                b.Magnitude.ToString("0.###e0", System.Globalization.CultureInfo.InvariantCulture),
                b.Relative.ToString("0.###e0", System.Globalization.CultureInfo.InvariantCulture), b.Ok ? "ok" : "MISMATCH");
        }
        table.Write(CliConsole.Out);
        Console.WriteLine(report.Ok
            ? $"OK: every boundary within {report.Tolerance:0e0} of the whole model (the last row is the output)."
            : $"FAILED: {report.Boundaries.Count(b => !b.Ok)} boundaries differ by more than {report.Tolerance:0e0}.");
    }
}
