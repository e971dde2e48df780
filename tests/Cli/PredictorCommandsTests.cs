using System.Globalization;
using System.Text.Json;

namespace AdaMec.Cli.Tests;

public sealed class PredictorCommandsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("adamec-predictor-").FullName;

    private string PathOf(string name) => Path.Combine(_directory, name);

    [Fact]
    public void ProfileCalibrateTrainEvalModels_SmallProfile_SucceedEndToEnd()
    {
        var profile = AdamecProcess.Run("profile", "--ops", "conv,relu", "--count", "40", "--out", PathOf("samples.csv"), "--quiet");
        Assert.True(profile.ExitCode == 0, profile.Error);

        var calibrate = AdamecProcess.Run("profile", "calibrate", "--networks", "2", "--out", PathOf("calibration.csv"));
        Assert.True(calibrate.ExitCode == 0, calibrate.Error);
        Assert.Contains("operators in 2 networks", calibrate.Out, StringComparison.Ordinal);

        var train = AdamecProcess.Run("predictor", "train", "--samples", PathOf("samples.csv"), "--calibration", PathOf("calibration.csv"),
            "--out", PathOf("predictor.zip"));
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("in-model conv", train.Out, StringComparison.Ordinal);

        var eval = AdamecProcess.Run("predictor", "eval", "--samples", PathOf("samples.csv"), "--learners", "polynomial,fasttree", "--folds", "3", "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        var results = JsonDocument.Parse(eval.Out).RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Contains(results, r => r.GetProperty("learner").GetString() == "polynomial" && r.GetProperty("op").GetString() == "conv"
            && double.IsFinite(r.GetProperty("r2").GetDouble()));

        var models = AdamecProcess.Run("predictor", "models", "--predictor", PathOf("predictor.zip"), "--models", "alexnet", "--repeats", "3");
        Assert.True(models.ExitCode == 0, models.Error);
        Assert.Contains("predictor:(fasttree+mlp,fc=fasttree)+ctx", models.Out, StringComparison.Ordinal);
        Assert.Contains("within ±10%", models.Out, StringComparison.Ordinal);
        Assert.Contains("at device speed x", models.Out, StringComparison.Ordinal);

        var networks = AdamecProcess.Run("predictor", "networks", "--predictor", PathOf("predictor.zip"), "--calibration", PathOf("calibration.csv"), "--folds", "2");
        Assert.True(networks.ExitCode == 0, networks.Error);
        Assert.Contains("2-fold by calibration network (2 networks", networks.Out, StringComparison.Ordinal);
        Assert.Contains("within ±10%", networks.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_ZeroNetworksOrUnknownModel_ExitsTwo()
    {
        var none = AdamecProcess.Run("profile", "calibrate", "--networks", "0", "--out", PathOf("c.csv"));
        var unknown = AdamecProcess.Run("profile", "calibrate", "--models", "lenet", "--out", PathOf("c.csv"));

        var noPasses = AdamecProcess.Run("profile", "calibrate", "--passes", "0", "--out", PathOf("c.csv"));

        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--networks", none.Error, StringComparison.Ordinal);
        Assert.Equal(2, noPasses.ExitCode);
        Assert.Contains("--passes must be at least 1", noPasses.Error, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown model 'lenet'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_MissingCalibrationFile_ExitsTwoNamingIt()
    {
        File.WriteAllText(PathOf("ext.csv"), "type,hw,cin,cout,kernel,stride,latency\n" +
            string.Join('\n', Enumerable.Range(1, 20).Select(i => $"conv,{8 * i},16,32,3,1,{0.01 * i}")) + "\n");

        var result = AdamecProcess.Run("predictor", "train", "--samples", PathOf("ext.csv"), "--calibration", PathOf("missing.csv"), "--out", PathOf("p.zip"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing.csv", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_UnknownLearnerForAKind_ExitsTwoNamingItAndWritesNothing()
    {
        File.WriteAllText(PathOf("ext.csv"), "type,hw,cin,cout,kernel,stride,latency\n" +
            string.Join('\n', Enumerable.Range(1, 20).Select(i => $"conv,{8 * i},16,32,3,1,{0.01 * i}")) + "\n");

        var result = AdamecProcess.Run("predictor", "train", "--samples", PathOf("ext.csv"), "--learner", "fasttree+mlp,conv=boosted", "--out", PathOf("p.zip"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown learner 'boosted'", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("p.zip")));
    }

    [Fact]
    public void Networks_CalibrationInMissingDirectory_ExitsTwoNamingIt()
    {
        var result = AdamecProcess.Run("predictor", "networks", "--calibration", PathOf("no-such-dir/calibration.csv"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no-such-dir/calibration.csv", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileKernels_ReadsOneDnnLog_NativeConvsMirroredExactly()
    {
        var result = AdamecProcess.Run("profile", "kernels", "--count", "30", "--seed", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("30 convs", result.Out, StringComparison.Ordinal);
        Assert.Contains("agree: ", result.Out, StringComparison.Ordinal);
        // PyTorch's own rule (no oneDNN convolution at all) holds on any x86 CPU; oneDNN's kernel names may differ.
        var native = result.Out.Split('\n').Single(l => l.StartsWith("Native ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(native[1], native[2]);
        Assert.True(int.Parse(native[1], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public void ProfileKernels_ZeroCount_ExitsTwo()
    {
        var result = AdamecProcess.Run("profile", "kernels", "--count", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--count must be at least 1", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_ProfileWhereLimitsOnlyKill_SavedWithoutFmem()
    {
        // The committed keep-freed profile: a limit kills an operator or leaves it as fast as before,
        // and 5-fold cross-validation finds f_mem raising RMSE, so the predictor must not carry it.
        var samples = RepositoryFile("data/profile/memory.csv");

        var result = AdamecProcess.Run("predictor", "memory", "--samples", samples, "--out", PathOf("p.zip"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("f_mem not used: in cross-validation it raised RMSE", result.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(PathOf("p.zip")));
    }

    private static string RepositoryFile(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AdaMec.sln"))) return Path.Combine(directory.FullName, relative);
        }
        throw new DirectoryNotFoundException($"No AdaMec.sln above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public void Models_ZeroRepeats_ExitsTwoNamingTheOption()
    {
        var result = AdamecProcess.Run("predictor", "models", "--models", "alexnet", "--repeats", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--repeats must be at least 1", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Networks_CalibrationFromAnotherSeed_ExitsTwoNamingTheSeed()
    {
        var calibrate = AdamecProcess.Run("profile", "calibrate", "--networks", "2", "--seed", "4", "--out", PathOf("c.csv"));
        Assert.True(calibrate.ExitCode == 0, calibrate.Error);

        var result = AdamecProcess.Run("predictor", "networks", "--calibration", PathOf("c.csv"), "--calibration-seed", "5");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--seed 5", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileWithAnchorsThenMerge_LaterRunAddedAtTheBaseSpeed()
    {
        var first = AdamecProcess.Run("profile", "--ops", "relu", "--count", "40", "--out", PathOf("base.csv"), "--quiet");
        Assert.True(first.ExitCode == 0, first.Error);
        var later = AdamecProcess.Run("profile", "--ops", "relu", "--count", "10", "--seed", "2", "--anchors", PathOf("base.csv"), "--anchor-count", "35",
            "--out", PathOf("later.csv"), "--quiet");
        Assert.True(later.ExitCode == 0, later.Error);

        var merge = AdamecProcess.Run("profile", "merge", "--base", PathOf("base.csv"), "--add", PathOf("later.csv"), "--out", PathOf("merged.csv"));

        Assert.True(merge.ExitCode == 0, merge.Error);
        var before = ConfigurationKeys("base.csv").ToHashSet();
        var taken = ConfigurationKeys("later.csv");
        var common = taken.Count(before.Contains);
        Assert.True(common >= 35, $"{common} configurations in common"); // the anchors, and any new draw that happened to match
        Assert.Contains($"merge: {common} anchors", merge.Out, StringComparison.Ordinal);
        Assert.Contains($"{taken.Length - common} configurations added", merge.Out, StringComparison.Ordinal);
        Assert.Equal(before.Union(taken).Order(), ConfigurationKeys("merged.csv").Order());
    }

    [Fact]
    public void ProfileNoisyAnchorsThenAverageMerge_OnlyNoisyLabelsRetimedAndAveraged()
    {
        var first = AdamecProcess.Run("profile", "--ops", "relu", "--count", "45", "--out", PathOf("base.csv"), "--quiet");
        Assert.True(first.ExitCode == 0, first.Error); // 43 distinct configurations: the draw repeats a few
        // Mark 35 labels noisy (IQR half the latency) and the rest quiet; the re-timing run draws nothing new.
        var lines = File.ReadAllLines(PathOf("base.csv"));
        var header = lines[0].Split(',');
        var (iqr, latency) = (Array.IndexOf(header, "iqr_ms"), Array.IndexOf(header, "latency_ms"));
        var rows = lines.Skip(1).Select(line => line.Split(',')).ToArray();
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i][iqr] = i < 35 ? (double.Parse(rows[i][latency], CultureInfo.InvariantCulture) / 2).ToString(CultureInfo.InvariantCulture) : "0";
        }
        File.WriteAllLines(PathOf("base.csv"), [lines[0], .. rows.Select(r => string.Join(',', r))]);

        var again = AdamecProcess.Run("profile", "--ops", "relu", "--count", "0", "--anchors", PathOf("base.csv"), "--anchor-count", "1000",
            "--anchor-spread", "0.15", "--out", PathOf("again.csv"), "--quiet");
        var merge = AdamecProcess.Run("profile", "merge", "--base", PathOf("base.csv"), "--add", PathOf("again.csv"), "--average", "--out", PathOf("merged.csv"));

        Assert.True(again.ExitCode == 0 && merge.ExitCode == 0, again.Error + merge.Error);
        var noisy = rows.Take(35).Select(r => string.Join(',', r.Take(10))).Order();
        Assert.Equal(noisy, ConfigurationKeys("again.csv").Order());
        Assert.Contains("merge: 35 anchors", merge.Out, StringComparison.Ordinal);
        Assert.Contains($"35 anchors averaged with their earlier labels; 0 configurations added -> {rows.Length} ", merge.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Profile_AnchorSpreadNotAShareOrWithoutAnchors_ExitsTwoBeforeTimingAnything()
    {
        var first = AdamecProcess.Run("profile", "--ops", "relu", "--count", "3", "--out", PathOf("base.csv"), "--quiet");
        Assert.True(first.ExitCode == 0, first.Error);

        var result = AdamecProcess.Run("profile", "--ops", "relu", "--count", "3", "--anchors", PathOf("base.csv"), "--anchor-spread", "-0.1",
            "--out", PathOf("a.csv"));

        var alone = AdamecProcess.Run("profile", "--ops", "relu", "--count", "3", "--anchor-spread", "0.2", "--out", PathOf("a.csv"));

        Assert.Equal((2, 2), (result.ExitCode, alone.ExitCode));
        Assert.Contains("--anchor-spread: -0.1", result.Error, StringComparison.Ordinal);
        Assert.Contains("--anchors", alone.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("a.csv")));
    }

    /// <summary>The configuration columns (everything before out_hw) of each row of a sample CSV.</summary>
    private string[] ConfigurationKeys(string name) =>
        File.ReadLines(PathOf(name)).Skip(1).Select(line => string.Join(',', line.Split(',').Take(10))).ToArray();

    [Fact]
    public void ProfileMerge_RunsWithoutAnchors_ExitsTwoSayingHowToProfile()
    {
        var first = AdamecProcess.Run("profile", "--ops", "relu", "--count", "5", "--out", PathOf("a.csv"), "--quiet");
        var second = AdamecProcess.Run("profile", "--ops", "add", "--count", "5", "--out", PathOf("b.csv"), "--quiet");
        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first.Error + second.Error);

        var result = AdamecProcess.Run("profile", "merge", "--base", PathOf("a.csv"), "--add", PathOf("b.csv"), "--out", PathOf("m.csv"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Only 0 configuration(s)", result.Error, StringComparison.Ordinal);
        Assert.Contains("--anchors", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("m.csv")));
    }

    [Fact]
    public void Profile_MissingAnchorsFileOrBadBudgets_ExitsTwoBeforeTimingAnything()
    {
        var anchors = AdamecProcess.Run("profile", "--ops", "relu", "--count", "3", "--anchors", PathOf("missing.csv"), "--out", PathOf("a.csv"));
        var budgets = AdamecProcess.Run("profile", "memory", "--budgets", "512,12x", "--count", "3", "--out", PathOf("m.csv"));

        Assert.Equal((2, 2), (anchors.ExitCode, budgets.ExitCode));
        Assert.Contains("missing.csv", anchors.Error, StringComparison.Ordinal);
        Assert.Contains("--budgets: '12x'", budgets.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("a.csv")) || File.Exists(PathOf("m.csv")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
