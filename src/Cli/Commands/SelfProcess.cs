using System.Reflection;
using AdaMec.Prediction.Profiling;

namespace AdaMec.Cli.Commands;

/// <summary>Starting this CLI again as a child process (the apphost, or `dotnet adamec.dll`).</summary>
internal static class SelfProcess
{
    /// <summary>This CLI as the profiler child processes run.</summary>
    public static ProfilerCommand Profiler()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new ProfilerCommand(process, [Assembly.GetEntryAssembly()!.Location])
            : new ProfilerCommand(process, []);
    }
}
