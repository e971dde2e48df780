using System.Globalization;
using AdaMec.Demo.Scenarios;
using Spectre.Console;

namespace AdaMec.Cli.Rendering;

/// <summary>
/// The live table of `adamec demo` while a trace replays: a row per event, per plan decision and per second
/// of requests (time, event, plan vector, atoms per device, response latency, requirement met). On a terminal
/// the newest rows are redrawn in place under a progress caption; when stdout is redirected each row is one
/// plain line as it comes, and stderr gets a progress line every tenth of the replay. Every row of an
/// in-process replay says EMULATION.
/// </summary>
internal sealed class ReplayView
{
    private const int LiveRows = 24;
    private static readonly string[] Headers = ["t (s)", "event", "plan vector", "atoms per device", "latency ms", "requirement met"];
    private readonly object _gate = new();
    private readonly List<string[]> _rows = [];
    private readonly List<(TimelineRequest Request, double RequirementMs)> _second = [];
    private readonly IReadOnlyList<string> _devices;
    private readonly Dictionary<string, char> _letters;
    private readonly double _durationS;
    private readonly bool _live;
    private string _mode = "";
    private int _second0;
    private int _ok;
    private int _failed;
    private int _plans;
    private int _lastTenth = -1;
    private bool _headerWritten;

    public ReplayView(IReadOnlyList<string> devices, double durationS)
    {
        _devices = devices;
        _letters = Letters(devices);
        _durationS = durationS;
        _live = CliConsole.IsLive(CliConsole.Out);
    }

    /// <summary>One letter per device in the plan vector, e.g. P=phone B=edge-b C=edge-c.</summary>
    public string Legend => string.Join(" ", _devices.Select(d => $"{_letters[d]}={d}"));

    /// <summary>Requests answered with the model's output, failed ones, and plan decisions seen.</summary>
    public (int Ok, int Failed, int Plans) Counts
    {
        get
        {
            lock (_gate) return (_ok, _failed, _plans);
        }
    }

    /// <summary>Runs <paramref name="replay"/>, showing what it reports through the callback it is given.</summary>
    public async Task<T> RunAsync<T>(Func<Action<ReplayProgress>, Task<T>> replay)
    {
        ArgumentNullException.ThrowIfNull(replay);
        if (!_live) return await replay(Report);
        var table = new Table { Border = TableBorder.Rounded };
        foreach (var header in Headers) table.AddColumn(header);
        T result = default!;
        await CliConsole.Out.Live(table).AutoClear(false).StartAsync(async context =>
        {
            using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            var work = replay(Report);
            while (!work.IsCompleted)
            {
                Redraw(table);
                context.Refresh();
                await Task.WhenAny(work, ticks.WaitForNextTickAsync().AsTask());
            }
            result = await work;
            Flush();
            Redraw(table);
            context.Refresh();
        });
        return result;
    }

    /// <summary>Writes the last second's requests as a row (at the end of the replay).</summary>
    public void Flush()
    {
        lock (_gate) FlushSecond();
    }

    private void Report(ReplayProgress progress)
    {
        lock (_gate)
        {
            switch (progress)
            {
                case ReplayStarted s:
                    _mode = s.Mode;
                    break;
                case ReplayEventApplied e:
                    FlushSecond();
                    Row(e.T, e.Event.Detail + (e.Event.Note is { } note ? $" ({note})" : ""), "", "", "", "");
                    break;
                case ReplayPlan p:
                    _plans++;
                    FlushSecond();
                    var trigger = p.Plan.Trigger.Length > 60 ? p.Plan.Trigger[..60] + "…" : p.Plan.Trigger;
                    Row(p.T, $"plan #{p.Plan.Sequence}: {trigger}", Vector(p.Plan.Assignment), PerDevice(p.Plan.Assignment),
                        $"predicted {p.Plan.PredictedLatencyMs.ToString("0", CultureInfo.InvariantCulture)}", p.Plan.Feasible ? "feasible" : "infeasible");
                    break;
                case ReplayRequest r:
                    if (r.Request.Ok) _ok++;
                    else _failed++;
                    if ((int)r.T != _second0) FlushSecond();
                    _second0 = (int)r.T;
                    _second.Add((r.Request, r.RequirementMs));
                    Progress(r.T);
                    break;
            }
        }
    }

    /// <summary>The requests of the current second as one row: the newest plan vector, median latency, how many met the requirement.</summary>
    private void FlushSecond()
    {
        if (_second.Count == 0) return;
        var served = _second.Where(s => s.Request.Ok).ToList();
        var newest = served.LastOrDefault().Request;
        var latencies = served.Select(s => s.Request.LatencyMs).Order().ToList();
        var median = latencies.Count == 0 ? "" : latencies[latencies.Count / 2].ToString("0", CultureInfo.InvariantCulture);
        var met = served.Count(s => s.Request.LatencyMs <= s.RequirementMs);
        var failed = _second.Count - served.Count;
        Row(_second[^1].Request.T, $"{_second.Count} request(s){(failed > 0 ? $", {failed} FAILED: {_second.First(s => !s.Request.Ok).Request.Error}" : "")}",
            newest is null ? "" : Vector(newest.Assignment), newest is null ? "" : PerDevice(newest.Assignment),
            median, $"{met}/{_second.Count} <= {_second[^1].RequirementMs.ToString("0", CultureInfo.InvariantCulture)} ms");
        _second.Clear();
    }

    private void Row(double t, string what, string vector, string perDevice, string latency, string met)
    {
        var tag = _mode == "in-process" ? "EMULATION " : "";
        var row = new[] { t.ToString("0.0", CultureInfo.InvariantCulture), tag + what, vector, perDevice, latency, met };
        _rows.Add(row);
        if (_live) return;
        if (!_headerWritten)
        {
            Console.WriteLine(string.Join(" | ", Headers));
            _headerWritten = true;
        }
        Console.WriteLine(string.Join(" | ", row));
    }

    private void Progress(double t)
    {
        if (_live) return;
        var tenth = (int)Math.Clamp(t * 10 / _durationS, 0, 10);
        if (tenth == _lastTenth) return;
        _lastTenth = tenth;
        Console.Error.WriteLine($"replay {t:0}/{_durationS:0} s ({tenth * 10}%): {_ok} requests ok, {_failed} failed, {_plans} plan decisions{(_mode == "in-process" ? " (EMULATION)" : "")}");
    }

    private void Redraw(Table table)
    {
        lock (_gate)
        {
            table.Rows.Clear();
            foreach (var row in _rows.TakeLast(LiveRows)) table.AddRow(row.Select(c => new Text(c)).ToArray());
            var t = _rows.Count > 0 ? double.Parse(_rows[^1][0], CultureInfo.InvariantCulture) : 0;
            table.Caption = new TableTitle(Markup.Escape(
                $"{t:0}/{_durationS:0} s · {_ok} requests ok, {_failed} failed · {_plans} plan decisions{(_mode == "in-process" ? " · EMULATION (in-process)" : "")}"));
        }
    }

    private string Vector(IReadOnlyList<string> assignment) =>
        new(assignment.Select(d => _letters.TryGetValue(d, out var c) ? c : '?').ToArray());

    private string PerDevice(IReadOnlyList<string> assignment) =>
        string.Join(", ", _devices.Select(d => (d, n: assignment.Count(a => a == d))).Where(x => x.n > 0).Select(x => $"{x.d} {x.n}"));

    /// <summary>A distinct letter per device: the first letter of its last '-'-separated part, else the next free one.</summary>
    private static Dictionary<string, char> Letters(IReadOnlyList<string> devices)
    {
        var letters = new Dictionary<string, char>(StringComparer.Ordinal);
        foreach (var device in devices)
        {
            var preferred = char.ToUpperInvariant(device.Split('-')[^1].FirstOrDefault(char.IsLetterOrDigit, 'X'));
            var letter = letters.ContainsValue(preferred)
                ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".First(c => !letters.ContainsValue(c))
                : preferred;
            letters[device] = letter;
        }
        return letters;
    }
}
