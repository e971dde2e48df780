using System.CommandLine;

namespace AdaMec.Cli.Commands;

/// <summary>Every `adamec` sub-command, in the order `--help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return ProfileCommand.Create();
        yield return PredictorCommand.Create();
    }
}
