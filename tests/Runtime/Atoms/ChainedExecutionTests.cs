using AdaMec.Runtime.Atoms;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Runtime.Tests.Atoms;

[Collection(SharedPartitions.Name)]
public sealed class ChainedExecutionTests(PartitionedModels models)
{
    [Theory]
    [InlineData("alexnet")]
    [InlineData("vgg16")]
    [InlineData("resnet18")]
    [InlineData("googlenet")]
    [InlineData("mobilenet_v2")]
    [InlineData("tiny_yolo")]
    public void Verify_EveryZooModel_ChainedEqualsWholeModel(string model)
    {
        var (directory, manifest) = models.Get(model);

        var report = AtomVerifier.Verify(directory);

        Assert.True(manifest.Atoms.Count >= 2, $"{model} was cut into {manifest.Atoms.Count} atom(s)");
        Assert.Equal(manifest.Atoms.Count, report.Boundaries.Count);
        Assert.All(report.Boundaries, b => Assert.True(b.Ok, $"{b.AtomId}: relative difference {b.Relative}"));
        Assert.All(report.Boundaries, b => Assert.True(b.Magnitude > 1e-3, $"{b.AtomId}: outputs too small to compare ({b.Magnitude})"));
    }

    [Fact]
    public void Verify_AtomWeightsFromAnotherSeed_ReportsMismatch()
    {
        var directory = models.CopyOf("alexnet");
        var manifest = Core.Atoms.AtomManifest.Load(directory);
        // Re-cut with different weights but keep the manifest's seed claim: the chain no longer
        // matches the zoo model it claims to be, and verification must say so.
        var other = ModelPartitioning.Partition("alexnet", directory, new Core.Partitioning.FlopsLatencyModel(), seed: 99);
        (other with { Seed = manifest.Seed }).Save(directory);

        var report = AtomVerifier.Verify(directory);

        Assert.False(report.Ok);
    }

    [Fact]
    public void Partition_ResNet18_KeepsEveryResidualBlockInsideOneAtom()
    {
        var (_, manifest) = models.Get("resnet18");

        foreach (var atom in manifest.Atoms)
        {
            var first = atom.Nodes[0].Id;
            Assert.All(atom.Nodes, n => Assert.All(n.Inputs, p => Assert.True(p == first - 1 || p >= first || (first == 0 && p == -1),
                $"{n.Name} in {atom.Id} reads node {p} from an earlier atom")));
        }
    }

    [Fact]
    public void Manifest_Totals_MatchTheWholeModel()
    {
        var (_, manifest) = models.Get("googlenet");
        var graph = ModelZoo.Graph("googlenet");

        Assert.Equal(graph.TotalFlops, manifest.Atoms.Sum(a => a.Flops));
        Assert.Equal(graph.TotalParameterBytes, manifest.TotalWeightBytes);
        Assert.Equal(graph.Nodes.Count, manifest.Atoms.Sum(a => a.Operators.Count));
    }
}
