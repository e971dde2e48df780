using System.CommandLine;
using System.Text.Json;
using AdaMec.Cli.Rendering;
using AdaMec.Testbed;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec testbed up [--trace NAME|FILE] [--state FILE]`, `testbed status [--state FILE] [--json]` and
/// `testbed down [--state FILE]`: a network namespace and a cgroup per device of a scenario trace, shaped veth
/// links between them (AdaMec.Testbed). docs/testbed.md describes what is made and how it is removed.
/// </summary>
internal static class TestbedCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var trace = new Option<string>("--trace") { Description = $"a trace file, or a shipped trace's name (default {ShippedScenarios.Default})", DefaultValueFactory = _ => ShippedScenarios.Default };
        var upState = StateOption();
        var noPostgres = new Option<bool>("--no-postgres") { Description = "no PostgreSQL server and management network (silos then need localhost clustering)" };
        var silos = new Option<bool>("--silos") { Description = "also start adamec-silo on every device there at the start except the initiator, on the testbed's PostgreSQL, and wait until all are active" };
        var up = new Command("up", "make the testbed of a trace: a network namespace and a cgroup per device, shaped links, its own PostgreSQL") { trace, upState, noPostgres, silos };
        up.SetAction(parse =>
        {
            var (scenario, path) = ShippedScenarios.Read(parse.GetRequiredValue(trace));
            var state = parse.GetRequiredValue(upState);
            var testbed = Testbed.Testbed.Up(scenario, path, state, postgres: !parse.GetValue(noPostgres), log: Console.WriteLine);
            if (testbed.State.DelayNotApplied is { } note) Console.WriteLine(note);
            if (parse.GetValue(silos))
            {
                if (parse.GetValue(noPostgres)) throw new ArgumentException("--silos: the silos need the testbed's PostgreSQL; drop --no-postgres");
                var budgets = scenario.Devices.ToDictionary(d => d.Id, d => (d.MemoryBudgetMb, d.ComputeBudgetMflops));
                TestbedSilos.Start(testbed, Path.Combine(AppContext.BaseDirectory, "adamec-silo.dll"), budgets, Console.WriteLine);
            }

            Console.WriteLine($"testbed {testbed.State.Tag} up (real: namespaces, veth + htb, cgroup {testbed.State.CgroupVersion}): {testbed.State.Devices.Count} devices, {testbed.State.Links.Count} links; state in {state}; 'adamec testbed down' removes it");
            return 0;
        });

        var statusState = StateOption();
        var json = new Option<bool>("--json") { Description = "one JSON object: { tag, trace, mode, cgroupVersion, devices, links, database, silos, note }" };
        var status = new Command("status", "what the kernel holds now for each device and link of the testbed") { statusState, json };
        status.SetAction(parse =>
        {
            var report = Testbed.Testbed.Open(parse.GetRequiredValue(statusState)).Status();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Json));
                return 0;
            }

            Console.WriteLine($"testbed {report.Tag} ({report.Mode}, cgroup {report.CgroupVersion}) of {report.Trace}; database: {report.Database ?? "none (--no-postgres)"}");
            var devices = new CliTable("device", "namespace", "address", "CPUs", "memory MB", "processes");
            foreach (var d in report.Devices)
                devices.Add(d.Id, d.NamespaceExists ? d.Namespace : "(missing)", d.Address, d.Cpus?.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited", d.MemoryLimitMb?.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited", d.Processes);
            devices.Write(CliConsole.Out);
            var links = new CliTable("link", "Mbps a->b", "Mbps b->a", "delay ms");
            foreach (var l in report.Links) links.Add($"{l.A} <-> {l.B}", Shaped(l.MbpsAToB), Shaped(l.MbpsBToA), l.DelayMs);
            links.Write(CliConsole.Out);
            if (report.Silos is { } members) Console.WriteLine($"active silos: {(members.Count == 0 ? "none" : string.Join(", ", members))}");
            if (report.Note is { } note) Console.WriteLine(note);
            return 0;
        });

        var downState = StateOption();
        var down = new Command("down", "remove everything the testbed made (processes, namespaces, veth pairs, qdiscs, cgroups), also after a crash") { downState };
        down.SetAction(parse =>
        {
            var state = parse.GetRequiredValue(downState);
            var removed = Testbed.Testbed.Down(state);
            foreach (var line in removed) Console.WriteLine($"removed {line}");
            Console.WriteLine($"testbed down: {removed.Count} things removed, {state} deleted");
            return 0;
        });

        return new Command("testbed", "a testbed on this machine for a scenario trace: namespaces, shaped links, cgroup limits (root)") { up, status, down };
    }

    private static Option<string> StateOption() => new("--state")
    {
        Description = $"the testbed's state file (default {Testbed.Testbed.DefaultStatePath})",
        DefaultValueFactory = _ => Testbed.Testbed.DefaultStatePath,
    };

    private static string Shaped(double? mbps) => mbps?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) ?? "not shaped";
}
