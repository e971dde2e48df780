namespace AdaMec.Demo.Scenarios;

/// <summary>The stage a replay runs on, and why when it is not the real testbed: the one place that chooses.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="FallbackReason">Why the real testbed is not used; null when it is.</param>
public sealed record ChosenStage(IScenarioStage Stage, string? FallbackReason);

/// <summary>Chooses the stage: the real testbed where this machine can host it, else the in-process emulation.</summary>
public static class ScenarioStages
{
    /// <summary>Why the real stage is not offered while its implementation is not part of this build.</summary>
    public const string RealStageMissing = "the real testbed stage (TestbedStage) is not part of this build yet";

    /// <summary>
    /// The stage for a replay. <paramref name="inProcess"/> asks for the emulation whatever the machine can;
    /// otherwise the real testbed is chosen when <see cref="Testbed.Testbed.WhyNot"/> finds nothing missing
    /// (root, network namespaces, writable cgroups) and its stage is built.
    /// </summary>
    public static ChosenStage Create(bool inProcess, InProcessStageSettings inProcessSettings)
    {
        if (inProcess) return new ChosenStage(new InProcessStage(inProcessSettings), "--in-process was given");
        var why = Testbed.Testbed.WhyNot() ?? RealStageMissing;
        return new ChosenStage(new InProcessStage(inProcessSettings), why);
    }
}
