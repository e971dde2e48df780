using System.CommandLine;
using System.CommandLine.Help;
using AdaMec.Cli.Commands;

namespace AdaMec.Cli.Tests;

/// <summary>`--help` says what every command and option does, and the defaults.</summary>
public sealed class HelpTests
{
    [Fact]
    public void EveryCommand_EveryOption_HasADescription()
    {
        var missing = new List<string>();
        foreach (var command in CommandCatalog.All()) Walk(command, "adamec " + command.Name, missing);

        Assert.True(missing.Count == 0, "no description for:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Help_OptionWithADefault_ShowsItsDescriptionAndDefault()
    {
        var result = AdamecProcess.Run("profile", "kernels", "--help");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(result.Out.Split('\n'), l => l.TrimStart().StartsWith("--seed", StringComparison.Ordinal));
        Assert.Contains("Seed of the convs drawn", line, StringComparison.Ordinal);
        Assert.Contains("[default: 1]", line, StringComparison.Ordinal);
        Assert.DoesNotContain("--announce", result.Out, StringComparison.Ordinal); // the hidden child mode
    }

    [Fact]
    public void Help_Demo_StatesTheTraceModelStrategyAndOutDefaults()
    {
        var result = AdamecProcess.Run("demo", "--help");

        Assert.Equal(0, result.ExitCode);
        string Line(string option) => Assert.Single(result.Out.Split('\n'), l => l.TrimStart().StartsWith(option, StringComparison.Ordinal));
        Assert.Contains("[default: table4-day]", Line("--trace"), StringComparison.Ordinal);
        Assert.Contains("[default: googlenet]", Line("--model"), StringComparison.Ordinal);
        Assert.Contains("[default: dp]", Line("--strategy"), StringComparison.Ordinal);
        Assert.Contains("[default: .]", Line("--out"), StringComparison.Ordinal);
        Assert.Contains("default: the trace's durationS", Line("--duration"), StringComparison.Ordinal);
        Assert.Contains("EMULATION", Line("--in-process"), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryCommand_EveryOptionWithADefault_HelpStatesTheDefault()
    {
        // The help as `adamec ... --help` prints it, written wide so that every option is one line.
        var root = new RootCommand("adamec");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        var help = root.Options.OfType<HelpOption>().Single();
        ((HelpAction)help.Action!).MaxWidth = 10_000;

        var missing = new List<string>();
        foreach (var command in root.Subcommands) WalkDefaults(root, command, [command.Name], missing);

        Assert.True(missing.Count == 0, "--help states no default for:\n" + string.Join("\n", missing));
    }

    /// <summary>Options of <paramref name="command"/> (and its subcommands) with a default value: their help line says it.</summary>
    private static void WalkDefaults(RootCommand root, Command command, string[] path, List<string> missing)
    {
        if (command.Hidden) return;
        var output = new StringWriter();
        root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = output });
        var lines = output.ToString().Split('\n');
        foreach (var option in command.Options.Where(o => !o.Hidden && o.HasDefaultValue && o.ValueType != typeof(bool)))
        {
            var line = lines.FirstOrDefault(l => l.TrimStart().StartsWith(option.Name, StringComparison.Ordinal));
            if (line is null || !line.Contains("[default: ", StringComparison.Ordinal)) missing.Add($"adamec {string.Join(' ', path)} {option.Name}: {line?.Trim()}");
        }
        foreach (var sub in command.Subcommands) WalkDefaults(root, sub, [.. path, sub.Name], missing);
    }

    private static void Walk(Command command, string path, List<string> missing)
    {
        if (command.Hidden) return;
        if (string.IsNullOrWhiteSpace(command.Description)) missing.Add(path);
        foreach (var option in command.Options)
        {
            if (option.Hidden || option is HelpOption or VersionOption) continue;
            if (string.IsNullOrWhiteSpace(option.Description)) missing.Add($"{path} {option.Name}");
        }
        foreach (var argument in command.Arguments)
        {
            if (!argument.Hidden && string.IsNullOrWhiteSpace(argument.Description)) missing.Add($"{path} <{argument.Name}>");
        }
        foreach (var sub in command.Subcommands) Walk(sub, path + " " + sub.Name, missing);
    }
}
