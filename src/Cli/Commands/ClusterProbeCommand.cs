using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaMec.Cli.Rendering;
using AdaMec.Client;

namespace AdaMec.Cli.Commands;

/// <summary>`adamec cluster probe`: measures links between silos now (two payload sizes over the real transport).</summary>
internal static class ClusterProbeCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var gateways = new Option<string[]>("--gateway") { Description = "gateway HOST:PORT (repeatable; this or --postgres is required)", AllowMultipleArgumentsPerToken = true };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string: find gateways in the membership table (this or --gateway is required)" };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id", DefaultValueFactory = _ => "adamec" };
        var from = new Option<string?>("--from") { Description = "sending device of the one link to probe (with --to); absent: every link between silos" };
        var to = new Option<string?>("--to") { Description = "receiving device of the one link to probe (with --from; absent: every link between silos)" };
        var repeat = new Option<int>("--repeat") { Description = "probe this many times, one after the other (each replaces the previous probe's samples); prints every estimate", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "one JSON object: { links: [ { from, to, mbps, latencyMs, source, samples, ageS } ] }" };
        var probe = new Command("probe", "probe links between silos now and print the new estimates (a probe replaces a link's earlier probe samples)")
        {
            gateways, postgres, clusterId, from, to, repeat, json,
        };
        probe.SetAction(async (parse, cancellationToken) =>
        {
            var options = new AdaMecClientOptions { PostgresConnection = parse.GetValue(postgres), ClusterId = parse.GetValue(clusterId)! };
            foreach (var gateway in parse.GetValue(gateways) ?? []) options.Gateways.Add(gateway);
            if (options.Gateways.Count == 0 && options.PostgresConnection is null) throw new ArgumentException("--gateway HOST:PORT or --postgres CONN is required");
            if ((parse.GetValue(from) is null) != (parse.GetValue(to) is null)) throw new ArgumentException("--from and --to go together (or leave both out to probe every link)");
            var times = parse.GetValue(repeat);
            if (times is < 1 or > 100) throw new ArgumentException("--repeat must be between 1 and 100");
            await using var client = await AdaMecClient.ConnectAsync(options, cancellationToken: cancellationToken);
            var links = new List<LinkStatusRow>();
            for (var i = 0; i < times; i++) links.AddRange(await ClusterLinks.ProbeAsync(client.Cluster, parse.GetValue(from), parse.GetValue(to), cancellationToken));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { links }, Json));
                return 0;
            }
            var table = new CliTable("from", "to", "Mbps", "latency ms", "source", "samples", "age s");
            foreach (var l in links) table.Add(l.From, l.To, l.Mbps, l.LatencyMs, l.Source, l.Samples, Math.Round(l.AgeS, 1).ToString(CultureInfo.InvariantCulture));
            table.Write(CliConsole.Out);
            return 0;
        });
        return probe;
    }
}
