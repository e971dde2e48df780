using System.Globalization;
using System.Text;
using AdaMec.Core.Graph;

namespace AdaMec.Prediction.Profiling;

/// <summary>One measured operator: its configuration, where it was measured, and the median latency.</summary>
/// <param name="Config">The operator configuration.</param>
/// <param name="LatencyMs">Median latency in milliseconds.</param>
/// <param name="IqrMs">Interquartile range of the repeats (0 when unknown, e.g. external data).</param>
/// <param name="Repeats">Timed runs behind the median (0 when unknown).</param>
/// <param name="Threads">libtorch intra-op threads (0 when unknown).</param>
/// <param name="MemoryMb">Memory limit the process ran under, null when unlimited.</param>
public sealed record OperatorSample(OperatorConfig Config, double LatencyMs, double IqrMs = 0, int Repeats = 0, int Threads = 0, double? MemoryMb = null)
{
    /// <summary>The operator node this sample describes (shapes, FLOPs and bytes derived from the configuration).</summary>
    public OperatorNode Node => _node ??= Config.ToNode();

    private OperatorNode? _node;
}

/// <summary>The unit latencies are written in, in an external CSV.</summary>
public enum LatencyUnit
{
    Milliseconds,
    Seconds,
}

/// <summary>A sample CSV lacks columns the reader needs.</summary>
public sealed class MissingColumnsException(string path, IReadOnlyList<string> missing)
    : FormatException($"{path}: missing required column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}. " +
        "A sample CSV needs a header with op (or type), hw, cin, cout, kernel, stride and latency (or latency_ms).")
{
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>
/// Reads and writes profiling samples. Columns written by <c>adamec profile</c>:
/// <code>
/// op          operator kind (conv, fc, bn, relu, relu6, leakyrelu, maxpool, avgpool, adaptiveavgpool,
///             lrn, zeropad, flatten, dropout, add, concat)
/// hw          input height = width (1 for fc)
/// cin, cout   input/output channels (fc: features; concat: cin = cout = total channels)
/// kernel      conv/pool kernel side; adaptiveavgpool output side; lrn window size
/// stride      conv/pool stride
/// padding     conv/pool padding; zeropad right/bottom amount
/// groups      conv groups (= cin for depthwise)
/// inputs      number of inputs (add, concat)
/// ceil        pool ceil mode (0/1)
/// out_hw      output side (derived)
/// flops       floating-point operations (derived, multiply-add = 2)
/// in_bytes, out_bytes, param_bytes   float32 sizes (derived)
/// threads     libtorch intra-op threads used
/// memory_mb   cgroup memory limit of the measuring process (empty: unlimited)
/// repeats     timed runs after warm-up
/// iqr_ms      interquartile range of the runs
/// latency_ms  median latency
/// </code>
/// External CSVs need only op (or type), hw, cin, cout, kernel, stride and latency (or
/// latency_ms); padding defaults to kernel/2 for conv and 0 for pools, groups to 1; unknown columns
/// are ignored.
/// </summary>
public static class SampleCsv
{
    public static readonly string[] Columns =
    [
        "op", "hw", "cin", "cout", "kernel", "stride", "padding", "groups", "inputs", "ceil", "out_hw",
        "flops", "in_bytes", "out_bytes", "param_bytes", "threads", "memory_mb", "repeats", "iqr_ms", "latency_ms",
    ];

    public static string Header => string.Join(',', Columns);

    public static string Format(OperatorSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var c = sample.Config;
        var n = sample.Node;
        var outHw = n.OutputShape.Rank == 4 ? n.OutputShape.Height : 1;
        return string.Join(',',
        [
            c.Kind.ToName(), I(c.Hw), I(c.Cin), I(c.Cout), I(c.Kernel), I(c.Stride), I(c.Padding), I(c.Groups), I(c.Inputs), c.CeilMode ? "1" : "0",
            I(outHw), I(n.Flops), I(n.InputBytes), I(n.OutputBytes), I(n.ParameterBytes), I(sample.Threads),
            sample.MemoryMb is { } m ? D(m) : "", I(sample.Repeats), D(sample.IqrMs), D(sample.LatencyMs),
        ]);
    }

    /// <summary>Writes samples to <paramref name="path"/>, replacing it (they are read to the end first, so they may come from that file).</summary>
    public static void Write(string path, IEnumerable<OperatorSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var rows = samples.ToList();
        File.Delete(path);
        Append(path, rows);
    }

    /// <summary>Appends samples, writing the header first if the file is new or empty.</summary>
    public static void Append(string path, IEnumerable<OperatorSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        using var writer = new StreamWriter(path, append: true, new UTF8Encoding(false));
        if (fresh) writer.WriteLine(Header);
        foreach (var sample in samples) writer.WriteLine(Format(sample));
    }

    public static IReadOnlyList<OperatorSample> Read(string path, LatencyUnit unit = LatencyUnit.Milliseconds)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path, unit);
    }

    /// <summary>Measured samples; a configuration timed in several passes yields one row per pass (see <see cref="Collapse"/>).</summary>
    public static IReadOnlyList<OperatorSample> Read(TextReader reader, string source, LatencyUnit unit = LatencyUnit.Milliseconds) =>
        ReadRows(reader, source, unit).Where(s => double.IsFinite(s.LatencyMs) && s.LatencyMs > 0).ToArray();

    /// <summary>Every row, unmeasured ones (empty latency: e.g. the process ran out of memory) as NaN.</summary>
    public static IReadOnlyList<OperatorSample> ReadRows(TextReader reader, string source, LatencyUnit unit = LatencyUnit.Milliseconds)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var headerLine = reader.ReadLine() ?? throw new FormatException($"{source}: empty file, expected a header line.");
        var header = Split(headerLine.TrimStart('\uFEFF')).Select(h => h.Trim().Trim('"').ToLowerInvariant()).ToArray();
        int Find(params string[] names) => names.Select(n => Array.IndexOf(header, n)).FirstOrDefault(i => i >= 0, -1);
        var op = Find("op", "type");
        var hw = Find("hw");
        var cin = Find("cin");
        var cout = Find("cout");
        var kernel = Find("kernel");
        var stride = Find("stride");
        // Our own files carry latency_ms; external ones "latency" in the unit the caller names.
        var latencyMs = Find("latency_ms");
        var latency = latencyMs >= 0 ? latencyMs : Find("latency");
        var scale = latencyMs >= 0 || unit == LatencyUnit.Milliseconds ? 1.0 : 1000.0;
        var missing = new List<string>();
        if (op < 0) missing.Add("op");
        if (hw < 0) missing.Add("hw");
        if (cin < 0) missing.Add("cin");
        if (cout < 0) missing.Add("cout");
        if (kernel < 0) missing.Add("kernel");
        if (stride < 0) missing.Add("stride");
        if (latency < 0) missing.Add("latency");
        if (missing.Count > 0) throw new MissingColumnsException(source, missing);
        var padding = Find("padding");
        var groups = Find("groups");
        var inputs = Find("inputs");
        var ceil = Find("ceil");
        var iqr = Find("iqr_ms");
        var repeats = Find("repeats");
        var threads = Find("threads");
        var memory = Find("memory_mb");

        var samples = new List<OperatorSample>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = Split(line);
            string Field(int i) => i >= 0 && i < f.Length ? f[i].Trim().Trim('"') : "";
            try
            {
                var kind = OperatorKindNames.Parse(Field(op));
                var k = ParseInt(Field(kernel), "kernel", 0);
                var defaultPadding = kind == OperatorKind.Conv2d ? k / 2 : 0;
                var config = new OperatorConfig(kind, ParseInt(Field(hw), "hw", 1), ParseInt(Field(cin), "cin", 1), ParseInt(Field(cout), "cout", 1), k,
                    Math.Max(1, ParseInt(Field(stride), "stride", 1)), ParseInt(Field(padding), "padding", defaultPadding), Math.Max(1, ParseInt(Field(groups), "groups", 1)),
                    Math.Max(1, ParseInt(Field(inputs), "inputs", kind is OperatorKind.Add or OperatorKind.Concat ? 2 : 1)), ParseInt(Field(ceil), "ceil", 0) != 0);
                var value = ParseDouble(Field(latency), header[latency], double.NaN) * scale;
                var mem = Field(memory);
                samples.Add(new OperatorSample(config, value, ParseDouble(Field(iqr), "iqr_ms", 0), ParseInt(Field(repeats), "repeats", 0), ParseInt(Field(threads), "threads", 0),
                    mem.Length == 0 ? null : ParseDouble(mem, "memory_mb", double.NaN)));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{source}:{lineNumber}: {e.Message}", e);
            }
        }
        return samples;
    }

    /// <summary>Keys of the configurations a CSV already holds at a memory limit (empty if the file does not exist).</summary>
    public static HashSet<string> ExistingKeys(string path, double? memoryMb = null) =>
        ExistingCounts(path, memoryMb).Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>How many rows (passes) each configuration has in a CSV at a memory limit, unmeasured rows included.</summary>
    public static Dictionary<string, int> ExistingCounts(string path, double? memoryMb = null)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0) return new Dictionary<string, int>(StringComparer.Ordinal);
        using var reader = new StreamReader(path);
        return ReadRows(reader, path, LatencyUnit.Milliseconds).Where(s => s.MemoryMb == memoryMb)
            .GroupBy(s => s.Config.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    /// <summary>
    /// One sample per configuration and memory limit: the fastest of its passes (load from other
    /// processes only ever slows an operator down), with the passes' spread folded into the IQR.
    /// </summary>
    public static IReadOnlyList<OperatorSample> Collapse(IEnumerable<OperatorSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return samples.GroupBy(s => (s.Config.Key, s.MemoryMb))
            .Select(g =>
            {
                var best = g.MinBy(s => s.LatencyMs)!;
                return best with { IqrMs = Math.Max(best.IqrMs, g.Max(s => s.LatencyMs) - best.LatencyMs), Repeats = g.Sum(s => s.Repeats) };
            })
            .ToArray();
    }

    private static string[] Split(string line) => line.Split(',');

    private static int ParseInt(string s, string column, int fallback)
    {
        if (s.Length == 0) return fallback;
        // A cast would turn NaN into 0 and 1e12 into int.MaxValue: a shape nobody measured.
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= int.MaxValue && value == Math.Floor(value)
            ? (int)value
            : throw new FormatException($"column '{column}': '{s}' is not a non-negative whole number.");
    }

    /// <summary>A number ("NaN" included: callers decide what an unmeasured value means); anything else names its column.</summary>
    private static double ParseDouble(string s, string column, double fallback)
    {
        if (s.Length == 0) return fallback;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"column '{column}': '{s}' is not a number.");
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
