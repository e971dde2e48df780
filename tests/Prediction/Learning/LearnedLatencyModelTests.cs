using System.IO.Compression;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Learning;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Prediction.Tests.Learning;

public sealed class LearnedLatencyModelTests
{
    private static readonly IReadOnlyList<OperatorSample> Data = PredictionTestData.Samples(250, 3);

    [Theory]
    [InlineData(LearnerKind.LinearFlops)]
    [InlineData(LearnerKind.Polynomial)]
    [InlineData(LearnerKind.Forest)]
    [InlineData(LearnerKind.FastTree)]
    [InlineData(LearnerKind.LightGbm)]
    [InlineData(LearnerKind.Mlp)]
    [InlineData(LearnerKind.FastTreeMlp)]
    public void Train_EachLearner_PredictsFinitePositiveForEveryZooOperator(LearnerKind learner)
    {
        var model = LearnedLatencyModel.Train(Data, learner);

        foreach (var node in ModelZoo.Graph("googlenet").Nodes)
        {
            var ms = model.PredictMs(node);
            Assert.True(double.IsFinite(ms) && ms >= 0, $"{learner.ToName()} predicted {ms} for {node.Name}");
        }
        Assert.StartsWith("predictor:", model.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void CrossValidate_RooflineLaw_BoostedTreesBeatLinearOnFlopsForConv()
    {
        // The trees fit this law relative to a crude cost that charges oneDNN's layout copies, which
        // the invented law has none of: 300 samples reached 57% within ±10%, 600 reach 70%.
        var convs = PredictionTestData.Samples(600, 4, [OperatorKind.Conv2d]);

        var results = CrossValidation.Summarise(CrossValidation.Predict(convs, [LearnerKind.LinearFlops, LearnerKind.FastTree], k: 3));

        var tree = results.Single(r => r.Learner == "fasttree" && r.Op == "conv");
        var linear = results.Single(r => r.Learner == "linear-flops" && r.Op == "conv");
        Assert.Equal(convs.Count, tree.Count);
        Assert.True(tree.Within10 > linear.Within10, $"fasttree {tree.Within10:P0} vs linear {linear.Within10:P0}");
        Assert.True(tree.Within10 >= 0.6, $"fasttree within ±10% only {tree.Within10:P0} on a clean law");
        Assert.Equal("fasttree", CrossValidation.Best(results));
    }

    [Fact]
    public void CrossValidate_RooflineLaw_NetworksWithTreesBeatTreesAlone()
    {
        var convs = PredictionTestData.Samples(600, 4, [OperatorKind.Conv2d]);

        var results = CrossValidation.Summarise(CrossValidation.Predict(convs, [LearnerKind.FastTree, LearnerKind.FastTreeMlp], k: 3));

        var trees = results.Single(r => r.Learner == "fasttree" && r.Op == "conv");
        var both = results.Single(r => r.Learner == "fasttree+mlp" && r.Op == "conv");
        Assert.True(both.Within10 > trees.Within10, $"fasttree+mlp {both.Within10:P1} vs fasttree {trees.Within10:P1}");
        Assert.Equal("fasttree+mlp", CrossValidation.Best(results));
    }

    [Theory]
    [InlineData("fasttree")]
    [InlineData("fasttree+mlp")]
    [InlineData("fasttree+mlp,conv=fasttree")]
    public void SaveLoad_RoundTrip_IdenticalPredictions(string learner)
    {
        var model = LearnedLatencyModel.Train(Data, LearnerChoice.Parse(learner));
        var path = Path.Combine(Path.GetTempPath(), $"adamec-predictor-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            var loaded = LearnedLatencyModel.Load(path);

            Assert.Equal(model.Name, loaded.Name);
            Assert.Equal(learner, loaded.Learner.ToString());
            Assert.Equal(1, loaded.Threads);
            foreach (var node in ModelZoo.Names.SelectMany(n => ModelZoo.Graph(n).Nodes))
            {
                Assert.Equal(model.PredictMs(node), loaded.PredictMs(node));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not a network")]
    public void Load_CorruptNetworks_InvalidDataNamingFileAndKind(string damage)
    {
        var path = Path.Combine(Path.GetTempPath(), $"adamec-predictor-{Guid.NewGuid():N}.zip");
        try
        {
            LearnedLatencyModel.Train(PredictionTestData.Samples(60, 5, [OperatorKind.Conv2d]), LearnerKind.Mlp).Save(path);
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
            {
                var entry = zip.GetEntry("models/conv.mlp")!;
                byte[] bytes;
                using (var original = new MemoryStream())
                {
                    using (var read = entry.Open()) read.CopyTo(original);
                    bytes = original.ToArray();
                }
                entry.Delete();
                using var stream = zip.CreateEntry("models/conv.mlp").Open();
                stream.Write(damage == "truncated" ? bytes[..(bytes.Length / 2)] : "not a network at all"u8.ToArray());
            }

            var error = Assert.Throws<InvalidDataException>(() => LearnedLatencyModel.Load(path));

            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("conv model", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_MissingFile_ErrorTellsHowToTrain()
    {
        var error = Assert.Throws<FileNotFoundException>(() => LearnedLatencyModel.Load("/nonexistent/predictor.zip"));

        Assert.Contains("adamec predictor train", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrTrainDefault_UnreadableDefaultFile_RetrainsFromCommittedProfileAndSaysSo()
    {
        using var checkout = new CheckoutWithProfile(Data);
        File.WriteAllText(checkout.Predictor, "written by an older build");

        var heard = new List<string>();
        var model = LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, heard.Add);
        var again = LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, heard.Add);

        Assert.NotNull(model);
        Assert.Equal(model.Name, LearnedLatencyModel.Load(checkout.Predictor).Name);
        Assert.Equal(model.Name, again?.Name);
        // Training is announced (one to two minutes on the committed profile); loading is not.
        Assert.Equal($"Training the default predictor ({LearnedLatencyModel.DefaultLearner}) from {checkout.Samples}, once: one to two minutes.", Assert.Single(heard));
    }

    [Fact]
    public void LoadOrTrainDefault_CommittedProfileChanged_RetrainsButKeepsAPredictorTrainedByHand()
    {
        using var checkout = new CheckoutWithProfile(Data.Take(Data.Count / 2).ToArray());
        var heard = new List<string>();

        var first = LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, heard.Add);
        File.Delete(checkout.Samples);
        SampleCsv.Append(checkout.Samples, Data); // a pull brings a larger profile
        var second = LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, heard.Add);
        var third = LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, heard.Add);
        LearnedLatencyModel.Train(Data, LearnerKind.Forest).Save(checkout.Predictor); // `predictor train --out` the default path
        var byHand = LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, heard.Add);

        Assert.Equal(2, heard.Count); // trained for the first profile and again for the second, not for the third call
        Assert.NotNull(first?.TrainedFrom);
        Assert.NotEqual(first?.TrainedFrom, second?.TrainedFrom);
        Assert.Equal(second?.TrainedFrom, third?.TrainedFrom);
        Assert.Equal("predictor:forest", byHand?.Name);
        Assert.Null(byHand?.TrainedFrom);
    }

    [Fact]
    public async Task LoadOrTrainDefault_AnotherProcessTraining_WaitsAndLoadsItsFile()
    {
        using var checkout = new CheckoutWithProfile(Data);
        var heard = new List<string>();
        var waiting = new TaskCompletionSource();
        Task<LearnedLatencyModel?> loading;
        // The lock another process would hold while it trains (an exclusive open: flock on Linux).
        using (new FileStream(checkout.Predictor + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            loading = Task.Run(() => LearnedLatencyModel.LoadOrTrainDefault(checkout.Root, m =>
            {
                lock (heard) heard.Add(m);
                waiting.TrySetResult();
            }));
            await waiting.Task.WaitAsync(TimeSpan.FromMinutes(1));
            LearnedLatencyModel.Train(Data, LearnerKind.Forest).Save(checkout.Predictor);
        }

        var model = await loading.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal("predictor:forest", model?.Name);
        Assert.StartsWith("Another process is training the default predictor", Assert.Single(heard), StringComparison.Ordinal);
    }

    [Fact]
    public void PredictMs_KindWithoutSamples_UsesPooledModel()
    {
        var model = LearnedLatencyModel.Train(Data.Where(s => s.Config.Kind != OperatorKind.LocalResponseNorm).ToArray(), LearnerKind.FastTree);
        var lrn = ModelZoo.Graph("alexnet").Nodes.FirstOrDefault(n => n.Kind == OperatorKind.LocalResponseNorm)
            ?? new OperatorConfig(OperatorKind.LocalResponseNorm, 27, 64, 64, 5).ToNode();

        Assert.DoesNotContain(OperatorKind.LocalResponseNorm, model.Kinds);
        Assert.True(model.PredictMs(lrn) > 0);
    }

    [Fact]
    public void PredictAtomMs_SumsOperators()
    {
        var model = LearnedLatencyModel.Train(Data, LearnerKind.Forest);
        var nodes = ModelZoo.Graph("alexnet").Nodes;

        Assert.Equal(nodes.Sum(model.PredictMs), model.PredictAtomMs(nodes), 9);
    }

    /// <summary>A temporary folder laid out like a checkout: the committed profile in place, no predictor yet.</summary>
    private sealed class CheckoutWithProfile : IDisposable
    {
        public CheckoutWithProfile(IReadOnlyList<OperatorSample> samples)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Samples)!);
            Directory.CreateDirectory(Path.GetDirectoryName(Predictor)!);
            SampleCsv.Append(Samples, samples);
        }

        public string Root { get; } = Path.Combine(Path.GetTempPath(), $"adamec-default-{Guid.NewGuid():N}");

        public string Samples => Path.Combine(Root, LearnedLatencyModel.DefaultSamplesRelativePath);

        public string Predictor => Path.Combine(Root, LearnedLatencyModel.DefaultRelativePath);

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
