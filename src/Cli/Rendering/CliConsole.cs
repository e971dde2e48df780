using Spectre.Console;

namespace AdaMec.Cli.Rendering;

/// <summary>
/// The Spectre.Console consoles commands render to: tables on stdout, progress on stderr. On a
/// terminal they are live (colours, redrawn bars, tables fitted to the window); when a stream is
/// redirected (a file, a pipe, a test reading the output) they write plain lines: no escape codes, no
/// redraws, and tables at their natural width so a log never wraps a row. JSON never goes through
/// these: commands write it to <see cref="Console.Out"/> as it is.
/// </summary>
internal static class CliConsole
{
    // Wide enough for any table a command prints; only used when nobody can resize a window.
    private const int RedirectedWidth = 1000;

    private static readonly Lazy<IAnsiConsole> StandardOutput = new(() => Create(Console.Out, Console.IsOutputRedirected));
    private static readonly Lazy<IAnsiConsole> StandardError = new(() => Create(Console.Error, Console.IsErrorRedirected));

    /// <summary>stdout, for results (tables).</summary>
    public static IAnsiConsole Out => StandardOutput.Value;

    /// <summary>stderr, for progress and notes that are not the result.</summary>
    public static IAnsiConsole Error => StandardError.Value;

    /// <summary>A console over <paramref name="writer"/>; <paramref name="redirected"/>: plain output as described on the class.</summary>
    public static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = RedirectedWidth;
        return console;
    }

    /// <summary>Whether <paramref name="console"/> is a live terminal (else it writes plain lines).</summary>
    public static bool IsLive(IAnsiConsole console) => console.Profile.Capabilities.Ansi && console.Profile.Capabilities.Interactive;

    /// <summary>
    /// Runs <paramref name="work"/> under a Spectre.Console progress bar on stderr labelled
    /// <paramref name="label"/>; the work reports (done, total, detail) through the callback it is given,
    /// from any thread. On a terminal: a bar with the count, elapsed and remaining time. When stderr is
    /// redirected: one plain line every tenth of the work and at the end.
    /// </summary>
    public static T WithProgress<T>(string label, Func<Action<int, int, string>, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!IsLive(Error))
        {
            // Spectre's own fallback prints on its refresh timer: a short run logged "0%" and nothing after.
            var lastTenth = -1;
            var gate = new object();
            return work((done, total, detail) =>
            {
                var tenth = total == 0 ? 10 : done * 10 / total;
                lock (gate)
                {
                    if (tenth == lastTenth && done != total) return;
                    lastTenth = tenth;
                }
                Console.Error.WriteLine($"{label} {done}/{total} ({(total == 0 ? 100 : done * 100 / total)}%) {detail}");
            });
        }
        return Error.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(label), autoStart: true);
                var result = work((done, total, detail) =>
                {
                    task.MaxValue = Math.Max(1, total);
                    task.Value = total == 0 ? 1 : done;
                    task.Description = Markup.Escape($"{label} {done}/{total} {detail}");
                });
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>A spinner with <paramref name="status"/> on stderr while <paramref name="work"/> runs (silent when stderr is redirected).</summary>
    public static async Task<T> StatusAsync<T>(string status, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!IsLive(Error)) return await work();
        return await Error.Status().StartAsync(Markup.Escape(status), _ => work());
    }
}
