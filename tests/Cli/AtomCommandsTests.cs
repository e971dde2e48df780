namespace AdaMec.Cli.Tests;

public sealed class AtomCommandsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "adamec-cli-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void PartitionVerifyRun_AlexNet_SucceedEndToEnd()
    {
        var partition = AdamecProcess.Run("partition", "--model", "alexnet", "--out", _directory);
        Assert.True(partition.ExitCode == 0, partition.Error);
        Assert.Contains("predicted ms", partition.Out, StringComparison.Ordinal);
        Assert.Contains("atoms", partition.Out, StringComparison.Ordinal);

        var verify = AdamecProcess.Run("verify", "--atoms", _directory);
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        Assert.Contains("OK", verify.Out, StringComparison.Ordinal);

        var run = AdamecProcess.Run("run", "--atoms", _directory, "--repeats", "1");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("softmax", run.Out, StringComparison.Ordinal);

        var wrongInput = Path.Combine(_directory, "input.f32");
        File.WriteAllBytes(wrongInput, new byte[100]);
        var badRun = AdamecProcess.Run("run", "--atoms", _directory, "--input", wrongInput);
        Assert.Equal(2, badRun.ExitCode);
        Assert.Contains("[1x3x224x224]", badRun.Error, StringComparison.Ordinal);

        // A damaged atom makes verify fail with the atom's name, not crash.
        var file = Directory.GetFiles(_directory, "a03.amw").Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^4]);
        var damaged = AdamecProcess.Run("verify", "--atoms", _directory);
        Assert.Equal(2, damaged.ExitCode);
        Assert.Contains("alexnet.a3", damaged.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DemoLocalOnly_AlexNet_TimesEveryAtomOnARealImage()
    {
        var demo = AdamecProcess.Run("demo", "--model", "alexnet", "--local-only", "--out", _directory);

        Assert.True(demo.ExitCode == 0, demo.Out + demo.Error);
        Assert.Contains("OK: every boundary", demo.Out, StringComparison.Ordinal);
        var local = demo.Out[demo.Out.IndexOf("== 3/6", StringComparison.Ordinal)..];
        Assert.Contains("a seeded random image, 1 libtorch thread(s) as profiled, median of 11 runs per atom", local, StringComparison.Ordinal);
        var atoms = Directory.GetFiles(_directory, "*.amw").Length;
        Assert.True(atoms > 1, demo.Out);
        for (var i = 0; i < atoms; i++) Assert.Matches($@"(?m)^alexnet\.a{i} +\d", local);
        Assert.Matches(@"alexnet: \d+\.\d ms for \d+ atoms on this machine \(predicted \d+\.\d ms\)", local);
        Assert.DoesNotContain("== 4/6", demo.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Partition_UnknownModel_ExitsTwoNamingKnownModels()
    {
        var result = AdamecProcess.Run("partition", "--model", "lenet", "--out", _directory);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown model 'lenet'", result.Error, StringComparison.Ordinal);
        Assert.Contains("mobilenet_v2", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FolderWithoutManifest_ExitsTwo()
    {
        Directory.CreateDirectory(_directory);

        var result = AdamecProcess.Run("verify", "--atoms", _directory);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("manifest.json", result.Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
