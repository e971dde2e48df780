using System.CommandLine;
using System.Globalization;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec profile memory`: times operators in child processes held to real cgroup memory limits
/// (paper §4.2.1: latency rises sharply once available memory drops below a threshold), producing
/// the data f_mem learns from. One unlimited run gives the baseline. A child the kernel kills for
/// memory leaves the configuration it was timing recorded as unmeasured, and the next child
/// carries on after it.
/// </summary>
internal static class ProfileMemoryCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "CSV to append to (memory_mb column holds the limit; empty = unlimited baseline).", Required = true };
        var budgets = new Option<string>("--budgets") { Description = "Comma-separated memory limits in MB.", DefaultValueFactory = _ => "1024,768,640,576,512,448" };
        var zoo = new Option<bool>("--zoo") { Description = "Time the zoo's distinct operator configurations (default on).", DefaultValueFactory = _ => true };
        var count = new Option<int>("--count") { Description = "Extra random configurations from the sampling space.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the configurations drawn.", DefaultValueFactory = _ => 7 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads while timing.", DefaultValueFactory = _ => 1 };
        var root = new Option<string>("--cgroup-root") { Description = "cgroup v1 memory hierarchy.", DefaultValueFactory = _ => CgroupMemoryLimit.DefaultRoot };
        var command = new Command("memory", "Time operators under real cgroup memory limits in child processes (data for the memory correction f_mem).")
        {
            output, budgets, zoo, count, seed, threads, root,
        };
        command.SetAction(parse =>
        {
            var limitsMb = ParseBudgets(parse.GetValue(budgets)!);
            var probe = CgroupMemoryLimit.Probe(parse.GetValue(root)!);
            if (!probe.Available) throw new InvalidOperationException($"profile memory: this machine cannot impose a memory limit on a child process. {probe.Detail}");
            Console.Error.WriteLine($"profile memory: {probe.Detail}");
            var configs = new List<OperatorConfig>();
            if (parse.GetValue(zoo)) configs.AddRange(SamplingSpace.ZooConfigs());
            configs.AddRange(new SamplingSpace(parse.GetValue(seed)).Draw(SamplingSpace.Kinds, parse.GetValue(count)));
            var list = Path.GetTempFileName();
            SampleCsv.Write(list, configs.DistinctBy(c => c.Key).Select(c => new OperatorSample(c, double.NaN)));
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var n = parse.GetValue(threads);
            var profiler = new MemoryLimitedProfiler(SelfProcess.Profiler(), Console.Error);
            try
            {
                profiler.Run(path, list, n, null, null);
                foreach (var mb in limitsMb)
                {
                    using var limit = CgroupMemoryLimit.Create($"adamec-mem-{Environment.ProcessId}-{mb:F0}", (long)(mb * 1e6), parse.GetValue(root)!);
                    profiler.Run(path, list, n, mb, limit);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  limit {limit.LimitBytes / 1e6:F0} MB: peak charged {limit.MaxUsageBytes / 1e6:F0} MB, limit hit {limit.FailCount} times, OOM kills {limit.OomKills}"));
                }
            }
            finally
            {
                File.Delete(list);
            }
            Summarise(path);
            return 0;
        });
        return command;
    }

    /// <summary>The --budgets list, checked before anything is timed (a typo found after the unlimited pass would waste it).</summary>
    private static double[] ParseBudgets(string list)
    {
        var limits = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(b => double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var mb) && double.IsFinite(mb) && mb > 0
                ? mb
                : throw new FormatException($"--budgets: '{b}' is not a memory limit in MB (a positive number)."))
            .ToArray();
        return limits.Length > 0 ? limits : throw new FormatException("--budgets: no memory limits given.");
    }

    private static void Summarise(string path)
    {
        using var reader = new StreamReader(path);
        var rows = SampleCsv.ReadRows(reader, path);
        var baseline = SampleCsv.Collapse(rows.Where(r => r.MemoryMb is null && double.IsFinite(r.LatencyMs))).ToDictionary(r => r.Config.Key, r => r.LatencyMs);
        foreach (var group in rows.Where(r => r.MemoryMb is not null).GroupBy(r => r.MemoryMb!.Value).OrderByDescending(g => g.Key))
        {
            var measured = group.Where(r => double.IsFinite(r.LatencyMs) && baseline.ContainsKey(r.Config.Key)).ToArray();
            var ratios = measured.Select(r => r.LatencyMs / baseline[r.Config.Key]).Order().ToArray();
            var median = ratios.Length == 0 ? double.NaN : ratios[ratios.Length / 2];
            var p90 = ratios.Length == 0 ? double.NaN : ratios[(int)(ratios.Length * 0.9)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{group.Key,6} MB: {measured.Length} measured, {group.Count(r => !double.IsFinite(r.LatencyMs))} unmeasured (OOM), slowdown vs unlimited median x{median:F2}, p90 x{p90:F2}, max x{(ratios.Length == 0 ? double.NaN : ratios[^1]):F2}"));
        }
    }
}
