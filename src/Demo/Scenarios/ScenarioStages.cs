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
    /// finds nothing missing (root, network namespaces, writable cgroups).
    /// </summary>
    /// <param name="inProcess">Use the in-process emulation.</param>
    /// <param name="inProcessSettings">The emulation's settings.</param>
    /// <param name="real">The real stage's state file and programs; null: <see cref="TestbedStageOptions.Default"/>.</param>
    public static ChosenStage Create(bool inProcess, InProcessStageSettings inProcessSettings, TestbedStageOptions? real = null)
    {
        if (inProcess) return new ChosenStage(new InProcessStage(inProcessSettings), "--in-process was given");
        if (Testbed.Testbed.WhyNot() is { } why) return new ChosenStage(new InProcessStage(inProcessSettings), why);
        return new ChosenStage(new TestbedStage(real ?? TestbedStageOptions.Default()), null);
    }
}
