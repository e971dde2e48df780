using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Cli.Rendering;
using AdaMec.Client;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec cluster status`: devices, deployments and links of a running cluster, for operators and scripts.</summary>
internal static class ClusterCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var gateways = new Option<string[]>("--gateway") { Description = "gateway HOST:PORT (repeatable; this or --postgres is required)", AllowMultipleArgumentsPerToken = true };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string: find gateways in the membership table (this or --gateway is required)" };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id", DefaultValueFactory = _ => "adamec" };
        var json = new Option<bool>("--json") { Description = "one JSON object: { devices, deployments, links }" };
        var keyFile = new Option<FileInfo?>("--cluster-key-file") { Description = "operator credential (adamec keygen credential --role operator) when the silos require one (absent: calls carry no credential)" };
        var status = new Command("status", "live devices (silos) with memory and resident atoms, deployments with their plans, pin and planner silo, links between devices")
        {
            gateways, postgres, clusterId, json, keyFile,
        };
        status.SetAction(async (parse, cancellationToken) =>
        {
            var options = new AdaMecClientOptions { PostgresConnection = parse.GetValue(postgres), ClusterId = parse.GetValue(clusterId)!, ClusterKeyFile = parse.GetValue(keyFile)?.FullName };
            foreach (var gateway in parse.GetValue(gateways) ?? []) options.Gateways.Add(gateway);
            if (options.Gateways.Count == 0 && options.PostgresConnection is null) throw new ArgumentException("--gateway HOST:PORT or --postgres CONN is required");
            await using var client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);
            var report = await ClusterStatus.ReadAsync(client.Cluster, cancellationToken);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, Json));
            else Print(report);
            return 0;
        });
        return new Command("cluster", "operate a running cluster") { status, ClusterProbeCommand.Create() };
    }

    private static void Print(ClusterStatusReport report)
    {
        var devices = new CliTable("device", "silo", "available MB", "resident atoms", "speed", "speed source", "CPU quota", "note");
        foreach (var d in report.Devices)
            devices.Add(d.Id, d.Silo, d.AvailableMemoryBytes / 1e6, d.ResidentAtoms.Count == 0 ? "-" : string.Join(" ", d.ResidentAtoms),
                d.Error is null ? d.Speed : "-", d.Error is null ? $"{d.SpeedSource} ({d.SpeedSamples} passes)" : "-", d.CpuQuotaCores < 0 ? "-" : d.CpuQuotaCores,
                d.Error ?? (d.Emulated ? string.Create(CultureInfo.InvariantCulture, $"EMULATED speed factor {d.EmulationSpeedFactor}") : ""));
        devices.Write(CliConsole.Out);
        Console.WriteLine();
        var deployments = new CliTable("deployment", "v", "live", "target", "pin", "planner silo", "history", "initiator speed", "note");
        foreach (var d in report.Deployments)
            deployments.Add(d.Id, d.Version, string.Join(" ", d.Live), string.Join(" ", d.Target), d.Pin is null ? "-" : string.Join(" ", d.Pin), d.PlannerSilo, d.HistoryLength,
                d.InitiatorSpeedSource.Length == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{d.InitiatorSpeed:0.00} {d.InitiatorSpeedSource} ({d.InitiatorSpeedSamples} passes)"),
                string.Join("; ", new[] { d.Error ?? (d.Migrating ? "migrating" : ""),
                    d.InitiatorEmulationSpeedFactor != 1 ? string.Create(CultureInfo.InvariantCulture, $"initiator EMULATED speed factor {d.InitiatorEmulationSpeedFactor}") : "" }.Where(n => n.Length > 0)));
        deployments.Write(CliConsole.Out);
        Console.WriteLine();
        // Time-to-benefit: from the triggering change to the first request served by the new plan (per atom: with that atom moved).
        var history = new CliTable("deployment", "#", "trigger", "measured", "plan", "switched", "MB moved", "benefit ms", "per atom (switched/served ms)");
        foreach (var d in report.Deployments)
        {
            foreach (var r in d.History)
                history.Add(d.Id, r.Sequence, r.Trigger.Length > 60 ? r.Trigger[..60] + "…" : r.Trigger, Measured(r), string.Join(" ", r.NewPlan), r.AtomsSwitched, r.BytesMoved / 1e6,
                    r.TimeToBenefitMs is { } ttb ? Math.Round(ttb).ToString(CultureInfo.InvariantCulture) : "-",
                    r.Switches.Count == 0 ? "-" : string.Join(" ", r.Switches.Select(s => string.Create(CultureInfo.InvariantCulture,
                        $"{s.Atom}>{s.To} {s.SwitchedMs:0}/{(s.ServedMs is { } served ? served.ToString("0", CultureInfo.InvariantCulture) : "-")}"))));
        }
        if (report.Deployments.Any(d => d.History.Count > 0))
        {
            history.Write(CliConsole.Out);
            Console.WriteLine();
        }
        // Each device's own per-atom prediction the newest plan used (f_mem at its memory now, or predictedMs × speed).
        var atoms = new CliTable("deployment", "device", "basis", "threads", "available MB", "speed", "atom ms");
        foreach (var d in report.Deployments)
        {
            foreach (var a in d.AtomLatencies)
                atoms.Add(d.Id, a.Device, a.Basis, a.ProfiledThreads > 0 ? string.Create(CultureInfo.InvariantCulture, $"{a.Threads} (profiled {a.ProfiledThreads})") : a.Threads.ToString(CultureInfo.InvariantCulture),
                    a.AvailableMemoryBytes < 0 ? "-" : a.AvailableMemoryBytes / 1e6, string.Create(CultureInfo.InvariantCulture, $"{a.Speed:0.00} {a.SpeedSource}"),
                    string.Join(" ", a.AtomMs.Select(ms => ms.ToString("0.0", CultureInfo.InvariantCulture))));
        }
        if (report.Deployments.Any(d => d.AtomLatencies.Count > 0))
        {
            atoms.Write(CliConsole.Out);
            Console.WriteLine();
        }
        var links = new CliTable("from", "to", "Mbps", "latency ms", "source", "samples", "age s");
        foreach (var l in report.Links)
            links.Add(l.From, l.To, l.Mbps, l.LatencyMs, l.Source, l.Samples, Math.Round(l.AgeS, 1).ToString(CultureInfo.InvariantCulture));
        links.Write(CliConsole.Out);
    }

    /// <summary>The measurement that triggered a decision, e.g. "edge1 speed 1.2 -> 2.4"; "-" when none did.</summary>
    private static string Measured(AdaMec.Interfaces.PlanRecord r) => r.Measurement is null
        ? "-"
        : string.Create(CultureInfo.InvariantCulture,
            $"{r.MeasurementSource} {r.Measurement} {(r.MeasuredBefore is { } b ? b.ToString("0.##", CultureInfo.InvariantCulture) : "?")} -> {(r.MeasuredAfter is { } a ? a.ToString("0.##", CultureInfo.InvariantCulture) : "?")}");
}
