using AdaMec.Core.Atoms;
using AdaMec.Core.Context;
using AdaMec.Core.Serialization;
using AdaMec.Core.Deployments;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Core.Tests.Context;

/// <summary>The dependency-free f_mem evaluator and the per-atom figures devices report with it.</summary>
public sealed class AtomLatencyEstimatorTests
{
    // One feature plus the three computed inputs, unscaled; one hidden unit reading only log(budget MB):
    // h = relu(9 − ln MB), r = 0.5·h clamped to [0, 2]. Less memory, more slowdown.
    private static MemoryCorrectionWeights Network(bool identity = false) => new(
        Hidden: 1, Mean: [0, 0, 0, 0], Std: [1, 1, 1, 1], Low: 0, High: 2,
        HiddenWeights: [0, -1, 0, 0], HiddenBias: [9], OutputWeights: [0.5f], OutputBias: 0, Identity: identity);

    private static AtomMemoryModel Model(bool identity = false) => new()
    {
        Network = Network(identity),
        ProfiledThreads = 1,
        Atoms =
        [
            [new OperatorMemoryInputs(2, 1000, [0]), new OperatorMemoryInputs(3, 1000, [0])],
            [new OperatorMemoryInputs(10, 5000, [0])],
        ],
    };

    [Theory]
    [InlineData(1000e6)]
    [InlineData(8000e6)]
    [InlineData(200e6)]
    public void LogSlowdown_HandBuiltNetwork_MatchesTheArithmetic(double budget)
    {
        var expected = Math.Clamp(0.5 * Math.Max(0, 9 - Math.Log(budget / 1e6)), 0, 2);

        var r = MemoryCorrectionEvaluator.LogSlowdown(Network(), [0], 1000, 2, budget);

        Assert.Equal(expected, r, 5);
    }

    [Fact]
    public void LogSlowdown_Identity_IsZero() =>
        Assert.Equal(0, MemoryCorrectionEvaluator.LogSlowdown(Network(identity: true), [0], 1000, 2, 100e6));

    [Fact]
    public void Predict_LessMemory_RaisesEveryAtom()
    {
        var (ample, basis) = AtomLatencyEstimator.Predict([5, 10], Model(), 1.5, 8000L << 20);
        var (squeezed, _) = AtomLatencyEstimator.Predict([5, 10], Model(), 1.5, 500L << 20);

        Assert.Equal(AtomLatencyBasis.MemoryCorrected, basis);
        // Formula 6 per operator (f_pre·e^r), summed per atom, times the device's speed.
        var r = 0.5 * (9 - Math.Log((500L << 20) / 1e6));
        Assert.Equal(1.5 * 5 * Math.Exp(r), squeezed[0], 3);
        Assert.Equal(1.5 * 10 * Math.Exp(r), squeezed[1], 3);
        Assert.All(ample.Zip(squeezed), p => Assert.True(p.Second > 2 * p.First, $"{p.First} -> {p.Second}"));
    }

    [Theory]
    [InlineData(true, 1L << 30)]
    [InlineData(false, -1L)]
    public void Predict_NoModelOrUnknownMemory_PredictedMsTimesSpeed(bool withoutModel, long available)
    {
        var (ms, basis) = AtomLatencyEstimator.Predict([5, 10], withoutModel ? null : Model(), 2, available);

        Assert.Equal(AtomLatencyBasis.Speed, basis);
        Assert.Equal([10.0, 20.0], ms);
    }

    [Fact]
    public void Parse_RoundTrip_EvaluatesTheSame()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(Model(), AdaMecJson.Compact);

        var parsed = AtomMemoryModel.Parse(json, 2);

        Assert.Equal(MemoryCorrectionEvaluator.AtomMs(Model(), 0, 300e6), MemoryCorrectionEvaluator.AtomMs(parsed, 0, 300e6), 9);
    }

    [Theory]
    [InlineData("hiddenBias", "memoryModel.network.hiddenBias")]
    [InlineData("std", "memoryModel.network.std")]
    [InlineData("features", "memoryModel.atoms[0][1].features")]
    [InlineData("ms", "memoryModel.atoms[0][1].ms")]
    [InlineData("atoms", "memoryModel.atoms must list 2 atoms")]
    public void Parse_BadField_ErrorNamesIt(string broken, string named)
    {
        var model = Model();
        model = broken switch
        {
            "hiddenBias" => model with { Network = model.Network with { HiddenBias = [1, 2] } },
            "std" => model with { Network = model.Network with { Std = [1, 0, 1, 1] } },
            "features" => model with { Atoms = [[model.Atoms[0][0], model.Atoms[0][1] with { Features = [float.NaN] }], model.Atoms[1]] },
            "ms" => model with { Atoms = [[model.Atoms[0][0], model.Atoms[0][1] with { Ms = -1 }], model.Atoms[1]] },
            _ => model with { Atoms = [model.Atoms[0]] },
        };
        var json = System.Text.Json.JsonSerializer.Serialize(model, AdaMecJson.Compact);

        var error = Assert.Throws<AtomFileException>(() => AtomMemoryModel.Parse(json, 2));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NetworkMissing_ErrorNamesIt()
    {
        var error = Assert.Throws<AtomFileException>(() => AtomMemoryModel.Parse("""{ "atoms": [] }""", 2));

        Assert.Contains("network", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PreparePlan_DeviceReportsPerAtomMs_PlansWithThemInsteadOfPredictedTimesSpeed()
    {
        var model = new DeploymentModel("sha", 1000,
        [
            new DeploymentAtom("a0", 1e6, 400, 500, 100, 10, "s0"),
            new DeploymentAtom("a1", 1e6, 400, 700, 100, 20, "s1"),
        ]);
        var machine = new DeploymentMachine("dep", Tests.Deployments.DeploymentSimulation.Options, new FakeTimeProvider());
        machine.Deploy(model, new DeploymentInitiator("phone", 4, null, null), 200, ["edge1", "edge2"]);
        var work = Assert.IsType<ReplanWork>(machine.NextWork());
        var reporting = new DeviceContext("edge1", 2, null, null, 1L << 30, []) { AtomMs = [33, 44] };
        var silent = new DeviceContext("edge2", 2, null, null, 1L << 30, []);
        var wrongLength = new DeviceContext("phone", 3, null, null, 1L << 30, [0, 1]) { AtomMs = [1] };

        var problem = machine.PreparePlan(work, new ContextSnapshot([wrongLength, reporting, silent], [])).Problem;

        Assert.Equal([33.0, 44.0], problem.Atoms.Select(a => a.LatencyMs["edge1"]));
        Assert.Equal([20.0, 40.0], problem.Atoms.Select(a => a.LatencyMs["edge2"]));
        Assert.Equal([30.0, 60.0], problem.Atoms.Select(a => a.LatencyMs["phone"]));
    }
}
