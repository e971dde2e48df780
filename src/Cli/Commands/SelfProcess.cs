using System.Diagnostics;
using System.Reflection;

namespace AdaMec.Cli.Commands;

/// <summary>Starting this CLI again as a child process (the apphost, or `dotnet adamec.dll`).</summary>
internal static class SelfProcess
{
    /// <summary>The program to start and the arguments that must come before the command's own.</summary>
    public static (string Program, string[] Prefix) Command()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [Assembly.GetEntryAssembly()!.Location])
            : (process, []);
    }

    /// <summary>Starts <paramref name="program"/> with redirected output and, optionally, extra environment variables.</summary>
    public static Process Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
    }
}
