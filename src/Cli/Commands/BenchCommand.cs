using System.CommandLine;
using AdaMec.Bench;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec bench planner`: the planner benchmark (bench/AdaMec.Bench), all strategies side by side.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var seed = new Option<int>("--seed") { Description = "seed of the random instances", DefaultValueFactory = _ => 42 };
        var instances = new Option<int>("--instances") { Description = "random instances per (atoms, devices) cell", DefaultValueFactory = _ => 50 };
        var problems = new Option<DirectoryInfo?>("--problems") { Description = "also benchmark every *.json planning problem in this folder" };
        var output = new Option<FileInfo?>("--out") { Description = "also write the report to this file" };
        var export = new Option<DirectoryInfo?>("--export") { Description = "write every random instance to this folder as a planning-problem file" };
        var zoo = new Option<bool>("--zoo") { Description = "also benchmark the zoo's real atoms under the paper's Table 4 contexts" };
        var planner = new Command("planner", "decision time, feasibility and quality of every planning strategy") { json, seed, instances, problems, output, export, zoo };
        planner.SetAction(parse =>
        {
            var count = parse.GetValue(instances);
            if (count < 1) throw new ArgumentException("--instances must be at least 1");

            var directory = parse.GetValue(problems);
            if (directory is { Exists: false }) throw new DirectoryNotFoundException($"--problems: no folder {directory.FullName}");

            var problemsDirectory = directory?.FullName;
            string? zooDirectory = null;
            if (parse.GetValue(zoo))
            {
                // One folder holds the zoo's Table 4 problems and any --problems files.
                zooDirectory = Path.Combine(Path.GetTempPath(), "adamec-zoo-problems-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(zooDirectory);
                if (directory is not null)
                {
                    foreach (var file in directory.GetFiles("*.json")) file.CopyTo(Path.Combine(zooDirectory, file.Name));
                }
                ZooPlanningProblems.WriteTable4(zooDirectory, new FlopsLatencyModel());
                problemsDirectory = zooDirectory;
            }

            try
            {
                var options = new PlannerBenchOptions { Seed = parse.GetValue(seed), Instances = count, ProblemsDirectory = problemsDirectory, ExportDirectory = parse.GetValue(export)?.FullName };
                var report = new PlannerBenchmark(options).Run(Console.Error);
                var text = parse.GetValue(json) ? PlannerBenchFormatter.ToJson(report) : PlannerBenchFormatter.ToTable(report);
                Console.Out.WriteLine(text);
                if (parse.GetValue(output) is { } file) File.WriteAllText(file.FullName, text);
                return 0;
            }
            finally
            {
                if (zooDirectory is not null) Directory.Delete(zooDirectory, recursive: true);
            }
        });

        return new Command("bench", "benchmarks and experiment runners") { planner, ClusterBenchCommand.Create(), ContextBenchCommand.Create(), BackendsBenchCommand.Create(), FuzzBenchCommand.Create(), FaultsBenchCommand.Create(), ScenarioBenchCommand.Create() };
    }
}
