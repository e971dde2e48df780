namespace AdaMec.Demo.Scenarios;

/// <summary>The stage a replay runs on, and why when it is not the real testbed: the one place that chooses.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="FallbackReason">Why the real testbed is not used; null when it is.</param>
public sealed record ChosenStage(IScenarioStage Stage, string? FallbackReason);

/// <summary>Chooses the stage: the real testbed where this machine can host it, else the in-process emulation.</summary>
public static class ScenarioStages
{
    /// <summary>
    /// The stage for a replay. <paramref name="inProcess"/> asks for the emulation whatever the machine can;
    /// otherwise the real testbed (<see cref="TestbedStage"/>) is chosen when <see cref="Testbed.Testbed.WhyNot"/>
    /// finds nothing missing (root, network namespaces, writable cgroups), else the emulation with the reason.
    /// </summary>
    /// <param name="inProcess">--in-process: the emulation even where the real testbed could run.</param>
    /// <param name="inProcessSettings">Settings of the emulation, when it is chosen.</param>
    /// <param name="log">Told each step of the real testbed (made, silo started, event applied); null: silent.</param>
    public static ChosenStage Create(bool inProcess, InProcessStageSettings inProcessSettings, Action<string>? log = null)
    {
        if (inProcess) return new ChosenStage(new InProcessStage(inProcessSettings), "--in-process was given");
        return Testbed.Testbed.WhyNot() is { } why
            ? new ChosenStage(new InProcessStage(inProcessSettings), why)
            : new ChosenStage(new TestbedStage(TestbedStageOptions.Default(log)), null);
    }
}
