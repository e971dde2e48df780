using System.Globalization;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;

namespace AdaMec.Prediction.Profiling;

/// <summary>How many convs ran with one observed kernel, and how many of them <see cref="ConvImplementations"/> mirrored.</summary>
/// <param name="Kernel">The implementation read from oneDNN's log, or "other (name)" for a kernel the mirror does not name.</param>
/// <param name="Convs">Convs that ran with it.</param>
/// <param name="Mirrored">Of those, how many the mirror predicted.</param>
public sealed record ConvKernelGroup(string Kernel, int Convs, int Mirrored);

/// <summary>A conv the mirror got wrong.</summary>
/// <param name="Config">The conv's configuration key.</param>
/// <param name="Mirrored">What <see cref="ConvImplementations"/> said.</param>
/// <param name="Ran">The kernel oneDNN named (or PyTorch's own kernel).</param>
public sealed record ConvKernelMismatch(string Config, string Mirrored, string Ran);

/// <summary>What `adamec profile kernels` found.</summary>
/// <param name="Convs">Convs checked.</param>
/// <param name="Agree">Convs whose observed kernel is the mirrored one.</param>
/// <param name="Kernels">Convs per observed kernel, most frequent first.</param>
/// <param name="Mismatches">The first few convs the mirror got wrong.</param>
public sealed record ConvKernelReport(int Convs, int Agree, IReadOnlyList<ConvKernelGroup> Kernels, IReadOnlyList<ConvKernelMismatch> Mismatches);

/// <summary>
/// Checks, on this device, that <see cref="ConvImplementations"/> (a predictor feature) names the kernel
/// libtorch really runs each conv with: a child process (the CLI again, in its hidden announce mode)
/// runs the convs with oneDNN's verbose log on, and the log is read back. A child, because the
/// variable is read once when oneDNN loads.
/// </summary>
public static class ConvKernelCheck
{
    /// <summary>How many mismatches a report lists.</summary>
    public const int MismatchesListed = 10;

    /// <summary>The child's arguments: `profile kernels --announce` with the same convs.</summary>
    public static IReadOnlyList<string> ChildArguments(int seed, int count) =>
        ["profile", "kernels", "--announce", "--count", count.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture)];

    /// <summary>The child's part: runs <paramref name="count"/> convs drawn with <paramref name="seed"/>, announcing each on <paramref name="output"/>.</summary>
    public static void Announce(int seed, int count, TextWriter output) =>
        ConvKernelProbe.Run(new SamplingSpace(seed).Draw([OperatorKind.Conv2d], count), output);

    /// <summary>Runs the check in a child started by <paramref name="self"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> below 1.</exception>
    /// <exception cref="InvalidOperationException">The child failed, or this libtorch printed no verbose log.</exception>
    public static ConvKernelReport Run(ProfilerCommand self, int seed, int count)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using var child = self.Start(ChildArguments(seed, count), new Dictionary<string, string> { [ConvKernelProbe.VerboseVariable] = "1" });
        var error = child.StandardError.ReadToEndAsync();
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"profile kernels: the probe process failed (exit {child.ExitCode}): {error.Result.Trim()}");
        var lines = output.Split('\n');
        if (!ConvKernelProbe.HasVerboseLog(lines))
            throw new InvalidOperationException($"profile kernels: oneDNN printed no verbose log ({ConvKernelProbe.VerboseVariable}=1 had no effect): this libtorch cannot be checked.");
        return Summarise(ConvKernelProbe.Parse(lines));
    }

    /// <summary>The report on <paramref name="observed"/>.</summary>
    public static ConvKernelReport Summarise(IReadOnlyList<ObservedConvKernel> observed)
    {
        ArgumentNullException.ThrowIfNull(observed);
        var groups = observed.GroupBy(o => o.Observed?.ToString() ?? $"other ({o.Kernel})").OrderByDescending(g => g.Count())
            .Select(g => new ConvKernelGroup(g.Key, g.Count(), g.Count(o => o.Observed == o.Mirrored))).ToArray();
        var misses = observed.Where(o => o.Observed != o.Mirrored).Take(MismatchesListed)
            .Select(o => new ConvKernelMismatch(o.Config.Key, o.Mirrored.ToString(), o.Kernel ?? "PyTorch's own kernel")).ToArray();
        return new ConvKernelReport(observed.Count, observed.Count(o => o.Observed == o.Mirrored), groups, misses);
    }
}
