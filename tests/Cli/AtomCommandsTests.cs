using System.Text.Json;
using System.Text.RegularExpressions;

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
    public void PartitionVerifyRunJson_AlexNet_StdoutIsOneObjectWithTheNamedFields()
    {
        var partition = AdamecProcess.Run("partition", "--model", "alexnet", "--out", _directory, "--no-onnx", "--json");
        Assert.True(partition.ExitCode == 0, partition.Error);
        int atoms;
        using (var json = JsonDocument.Parse(partition.Out)) // the whole of stdout: nothing printed besides the object
        {
            var root = json.RootElement;
            Assert.Equal("alexnet", root.GetProperty("model").GetString());
            Assert.Equal(_directory, root.GetProperty("directory").GetString());
            var ids = root.GetProperty("atoms").EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToList();
            atoms = ids.Count;
            Assert.Equal(Enumerable.Range(0, atoms).Select(i => $"alexnet.a{i}"), ids);
            Assert.All(root.GetProperty("atoms").EnumerateArray(), a => Assert.True(a.GetProperty("predictedMs").GetDouble() > 0, a.ToString()));
            var granularity = root.GetProperty("granularities").EnumerateArray().ToDictionary(g => g.GetProperty("granularity").GetString()!);
            Assert.Equal(atoms, granularity["atoms"].GetProperty("units").GetInt32());
            Assert.Equal(atoms - 1, granularity["atoms"].GetProperty("cutPoints").GetInt32());
        }

        var verify = AdamecProcess.Run("verify", "--atoms", _directory, "--json");
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        using (var json = JsonDocument.Parse(verify.Out))
        {
            var root = json.RootElement;
            Assert.True(root.GetProperty("ok").GetBoolean());
            Assert.Equal("torch", root.GetProperty("backend").GetString());
            var boundaries = root.GetProperty("boundaries").EnumerateArray().ToList();
            Assert.Equal(atoms, boundaries.Count);
            Assert.All(boundaries, b => Assert.True(b.GetProperty("ok").GetBoolean() && b.GetProperty("afterOperator").GetString()!.Length > 0, b.ToString()));
        }

        var run = AdamecProcess.Run("run", "--atoms", _directory, "--repeats", "3", "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        using (var json = JsonDocument.Parse(run.Out))
        {
            var root = json.RootElement;
            Assert.Equal(atoms, root.GetProperty("atoms").GetInt32());
            Assert.Equal(3, root.GetProperty("runs").GetInt32());
            var top5 = root.GetProperty("top5").EnumerateArray().ToList();
            Assert.Equal([1, 2, 3, 4, 5], top5.Select(t => t.GetProperty("rank").GetInt32()));
            var softmax = top5.Select(t => t.GetProperty("softmax").GetDouble()).ToList();
            Assert.Equal(softmax.OrderDescending(), softmax);
            Assert.True(root.GetProperty("minMs").GetDouble() <= root.GetProperty("medianMs").GetDouble(), run.Out);
        }
    }

    [Fact]
    public void DemoLocalOnly_AlexNet_TimesEveryAtomOnARealImage()
    {
        var demo = AdamecProcess.Run("demo", "--model", "alexnet", "--local-only", "--out", _directory);

        Assert.True(demo.ExitCode == 0, demo.Out + demo.Error);
        Assert.Contains("OK: every boundary", demo.Out, StringComparison.Ordinal);
        var step = Regex.Match(demo.Out, @"== 3/\d+ run the chain locally");
        Assert.True(step.Success, demo.Out);
        var local = demo.Out[step.Index..];
        // As many threads as the predictor was profiled at: 1 for the committed profile, more for one made here.
        Assert.Matches(@"a seeded random image, \d+ libtorch thread\(s\) as profiled, median of 11 runs per atom", local);
        // The demo partitions into a folder of its own and removes it: count the atoms in its verify table.
        var verify = Regex.Match(demo.Out, @"== 2/\d+ verify");
        Assert.True(verify.Success, demo.Out);
        var verified = demo.Out[verify.Index..step.Index];
        var atoms = Regex.Count(verified, @"(?m)^alexnet\.a\d+ ");
        Assert.True(atoms > 1, demo.Out);
        for (var i = 0; i < atoms; i++) Assert.Matches($@"(?m)^alexnet\.a{i} +\d", local);
        Assert.Matches(@"alexnet: \d+\.\d ms for \d+ atoms on this machine \(predicted \d+\.\d ms\)", local);
        Assert.DoesNotContain("== 4/", demo.Out, StringComparison.Ordinal); // local only: no stage, no replay
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
