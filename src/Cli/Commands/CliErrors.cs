using AdaMec.Core.Atoms;
using AdaMec.Core.Planning;
using AdaMec.Core.Scenarios;
using AdaMec.Interfaces;
using AdaMec.Runtime.Zoo;
using Microsoft.Extensions.Options;

namespace AdaMec.Cli.Commands;

/// <summary>
/// The one mapping from an exception to an exit code and a stderr line, used by every command (Program
/// lets commands throw): 2 for bad input (a file, name, value or option the user gave), 1 for a
/// failure (the cluster, the machine, a bug). One line "error: ...", naming the input where it can.
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code of a command that could not do its job.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a command given bad input.</summary>
    public const int UserError = 2;

    /// <summary>Whether <paramref name="error"/> is the user's input being wrong (exit 2) rather than a failure (exit 1).</summary>
    public static bool IsBadInput(Exception error) => error switch
    {
        AtomFileException or UnknownModelException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or ArgumentException or FormatException or PlanningProblemException or ScenarioTraceException or StrategyRefusedException or OptionsValidationException => true,
        AdaMecException { Code: AdaMecErrorCode.InvalidContext or AdaMecErrorCode.InvalidModel or AdaMecErrorCode.InvalidRequest or AdaMecErrorCode.TensorTooLarge } => true,
        _ => false,
    };

    /// <summary>Writes one line about <paramref name="error"/> to <paramref name="stderr"/> and returns the exit code.</summary>
    public static int Report(Exception error, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(stderr);
        var root = error is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : error;
        var badInput = IsBadInput(root);
        // Expected failures speak for themselves; anything else names its type, so a bug report has it.
        var expected = badInput || root is CommandFailedException or AdaMecException or Orleans.Runtime.OrleansException or TimeoutException or IOException
            or UnauthorizedAccessException or OperationCanceledException or InvalidOperationException or Testbed.TestbedException;
        var message = string.Join(' ', root.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        stderr.WriteLine(expected ? $"error: {message}" : $"error: {root.GetType().Name}: {message}");
        return badInput ? UserError : Failure;
    }
}
