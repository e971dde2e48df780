using System.CommandLine;

namespace AdaMec.Cli.Commands;

/// <summary>Every `adamec` sub-command, in the order `--help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return PartitionCommand.Create();
        yield return VerifyCommand.Create();
        yield return RunCommand.Create();
        yield return DemoCommand.Create();
        yield return TestbedCommand.Create();
        yield return ClientCommand.Create();
        yield return ClusterCommand.Create();
        yield return PlanCommand.Create();
        yield return BenchCommand.Create();
        yield return ProfileCommand.Create();
        yield return PredictorCommand.Create();
        yield return KeygenCommand.Create();
        yield return SignCommand.Create();
    }
}
