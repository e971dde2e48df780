using System.CommandLine;
using System.Reflection;
using AdaMec.Bench.Faults;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec bench faults`: faults on real silo processes under traffic (bench/AdaMec.Bench.Faults).</summary>
internal static class FaultsBenchCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print { \"results\": [ { fault, requests, ok, failed, lost, p99Ms, detectionS, recoveryS } ] }" };
        var faults = new Option<string[]>("--faults") { Description = $"run only these faults (default: all): {string.Join(", ", Faults.Names)}", AllowMultipleArgumentsPerToken = true };
        var requests = new Option<int>("--requests") { Description = "requests per fault, at least (more while a recovery is still awaited)", DefaultValueFactory = _ => 500 };
        var rate = new Option<double>("--rate") { Description = "requests per second, sent open-loop", DefaultValueFactory = _ => 20 };
        var silo = new Option<FileInfo?>("--silo") { Description = "adamec-silo.dll to start (default: next to adamec)" };
        var output = new Option<FileInfo?>("--out") { Description = "also write the report to this file" };
        var command = new Command("faults", "kill -9 a silo, SIGSTOP/SIGCONT a silo, restart PostgreSQL, kill -9 the planner's silo and corrupt a cached weights file, each under traffic on three real silo processes and a private PostgreSQL server (root); exit 1 when a request is lost or a fault does not recover")
        {
            json, faults, requests, rate, silo, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = Assembly.GetEntryAssembly()!.Location;
            var siloDll = parse.GetValue(silo)?.FullName ?? Path.Combine(Path.GetDirectoryName(cli)!, "adamec-silo.dll");
            if (!File.Exists(siloDll)) throw new ArgumentException($"--silo: no file {siloDll}");
            var settings = new FaultBenchSettings(siloDll, cli)
            {
                Requests = parse.GetValue(requests), RatePerSecond = parse.GetValue(rate), Faults = parse.GetValue(faults) ?? [],
            };
            var results = await FaultBench.RunAsync(settings, Console.Error, cancellationToken);
            var text = parse.GetValue(json) ? FaultBench.ToJson(results) : FaultBench.ToTable(results);
            Console.Out.WriteLine(text);
            if (parse.GetValue(output) is { } file) File.WriteAllText(file.FullName, text);
            return results.All(r => r.Clean) ? 0 : CliErrors.Failure;
        });
        return command;
    }
}
