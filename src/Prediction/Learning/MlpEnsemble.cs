using AdaMec.Core.Graph;
using AdaMec.Runtime.Execution;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaMec.Prediction.Learning;

/// <summary>
/// A few small fully connected networks (TorchSharp) regressing an operator's encoded latency (log time
/// per unit of the crude reference cost), averaged. Boosted trees answer in steps and have to
/// staircase across the sparse seven-dimensional conv space; these networks are smooth in every
/// input, and their errors are not the trees' (conv within ±10%, `adamec predictor eval`, same folds:
/// FastTree 78.5%, these networks 79.4%, the geometric mean of both 81.0% on the 6,450-conv profile;
/// 72.2, 74.8 and 77.4% on the earlier 2,496; see the predictor README).
/// </summary>
internal sealed class MlpEnsemble
{
    /// <summary>Networks averaged (ten gave 75.9% on conv against five's 73.8%, at three times the training time).</summary>
    public const int Members = 5;

    /// <summary>
    /// Units per hidden layer: 128 from <see cref="WideFrom"/> samples on (conv: 64 gave 76.3% instead of
    /// 77.2% in the blend), 64 below, where a kind has a few hundred samples and training time matters more.
    /// </summary>
    public static int Hidden(int samples) => samples >= WideFrom ? 128 : 64;

    private const int WideFrom = 1000;

    /// <summary>Passes over the data (at 256 units: 300 gave 74.9% on conv, 600 overfitted, 72.8%)...</summary>
    public const int Epochs = 200;

    /// <summary>...but at least this many optimiser steps (small kinds, one or two batches)...</summary>
    private const int MinSteps = 3000;

    /// <summary>
    /// ...and at most this many (conv and the pooled fallback, tens of thousands of samples: 47 passes
    /// over 34,000 training convs). On the 42,966-conv profile (5-fold, fold seed 1) the blend with
    /// FastTree put 89.7% of held-out convs within ±10% at this cap against 87.2% at 4,000 steps (FastTree
    /// alone 88.5%); conv-only runs: the networks alone 88.8%, at 32,000 steps 88.6%, ten networks
    /// instead of five 88.9%. About four times the training time for conv (some 50 s).
    /// </summary>
    private const int MaxSteps = 16_000;

    /// <summary>
    /// Where the loss turns from squared to absolute error, in standard deviations of the encoded label.
    /// The target is a share of operators within ±10%, and half of all conv labels spread 10% or more
    /// between their passes: past a small error each example pulls with the same force, so the noisy
    /// ones cannot drag the fit. Conv-only eval, 5-fold, fold seed 1, blend with FastTree: 0.5 gave
    /// 89.6%, 0.2 90.0%, 0.1 90.1% (±5%: 69.8, 70.7, 71.2%).
    /// </summary>
    private const double LossBeta = 0.1;

    private const int BatchSize = 128;
    private const int FormatMagic = 0x4D4C5031; // "MLP1"

    // Counts (sides, channels, kernel, stride, padding, groups, inputs) read better on a log scale.
    private static readonly int[] LogScaled = Positions("hw", "out_hw", "cin", "cout", "kernel", "stride", "padding", "groups", "inputs");
    private static readonly int ImplementationFeature = Positions("conv_implementation")[0];
    private static readonly int Implementations = Enum.GetValues<ConvImplementation>().Length;

    /// <summary>Inputs per operator: its features, the conv's implementation one-hot, and the log reference cost.</summary>
    public static readonly int Inputs = OperatorFeatures.Count + Implementations + 1;

    private readonly Net _net;
    private readonly FeatureScaling _scaling;
    private readonly double _labelMean;
    private readonly double _labelStd;

    private MlpEnsemble(Net net, FeatureScaling scaling, double labelMean, double labelStd)
    {
        _net = net;
        _scaling = scaling;
        _labelMean = labelMean;
        _labelStd = labelStd;
    }

    /// <summary>Trains <see cref="Members"/> networks on the encoded labels, each from its own initialisation and shuffles.</summary>
    public static MlpEnsemble Train(IReadOnlyList<OperatorNode> nodes, IReadOnlyList<double> labels, int seed)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(labels);
        if (nodes.Count != labels.Count || nodes.Count == 0) throw new ArgumentException("Need one label per operator, at least one.", nameof(labels));
        var raw = nodes.Select(RawInputs).ToArray();
        var scaling = FeatureScaling.Fit(raw, Inputs);
        var labelMean = labels.Average();
        var labelStd = Math.Sqrt(labels.Average(l => (l - labelMean) * (l - labelMean)));
        if (labelStd < 1e-9) labelStd = 1;

        // One batched module holds every member: a step trains all of them at once, each on its own
        // shuffle of the rows (a fifth of the optimiser steps of training them one after another).
        torch.manual_seed(seed);
        var net = new Net(Members, Hidden(raw.Length));
        var shuffle = new Random(seed);
        using (var x = tensor(raw.SelectMany(scaling.Apply).ToArray(), [raw.Length, Inputs]))
        using (var y = tensor(labels.Select(l => (float)((l - labelMean) / labelStd)).ToArray(), [labels.Count, 1]))
        using (var optimizer = optim.AdamW(net.parameters(), lr: 2e-3, weight_decay: 1e-4))
        {
            var batches = (raw.Length + BatchSize - 1) / BatchSize;
            var epochs = Math.Max(1, Math.Min(Math.Max(Epochs, (MinSteps + batches - 1) / batches), MaxSteps / batches));
            var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs);
            var orders = Enumerable.Range(0, Members).Select(_ => Enumerable.Range(0, raw.Length).Select(i => (long)i).ToArray()).ToArray();
            net.train();
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var order in orders) shuffle.Shuffle(order);
                for (var b = 0; b < raw.Length; b += BatchSize)
                {
                    using var step = NewDisposeScope();
                    var size = Math.Min(BatchSize, raw.Length - b);
                    var indices = new long[Members * size];
                    for (var m = 0; m < Members; m++) Array.Copy(orders[m], b, indices, m * size, size);
                    var rows = tensor(indices);
                    var predicted = net.call(x.index_select(0, rows).view(Members, size, Inputs));
                    // Smooth L1: a few convs timed in a slow moment must not pull the fit as squares would.
                    var loss = nn.functional.smooth_l1_loss(predicted, y.index_select(0, rows).view(Members, size, 1), beta: LossBeta);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }
                schedule.step();
            }
        }
        net.eval();
        return new MlpEnsemble(net, scaling, labelMean, labelStd);
    }

    /// <summary>The encoded label predicted for <paramref name="node"/>: the members' mean.</summary>
    public double Predict(OperatorNode node)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var input = tensor(_scaling.Apply(RawInputs(node)), [1, 1, Inputs]).expand(_net.Members, 1, Inputs);
        return _net.call(input).mean().item<float>() * _labelStd + _labelMean;
    }

    public void Save(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(FormatMagic);
        writer.Write(Inputs);
        writer.Write(_net.Hidden);
        writer.Write(_net.Members);
        foreach (var v in _scaling.Mean) writer.Write(v);
        foreach (var v in _scaling.Std) writer.Write(v);
        writer.Write(_labelMean);
        writer.Write(_labelStd);
        _net.save(writer);
    }

    /// <summary>Reads what <see cref="Save"/> wrote; anything else is an <see cref="InvalidDataException"/>.</summary>
    public static MlpEnsemble Load(Stream stream)
    {
        try
        {
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (reader.ReadInt32() != FormatMagic) throw new InvalidDataException("Not an MLP ensemble.");
            var inputs = reader.ReadInt32();
            var hidden = reader.ReadInt32();
            var members = reader.ReadInt32();
            if (inputs != Inputs || hidden is < 1 or > 4096 || members is < 1 or > 64)
                throw new InvalidDataException($"MLP ensemble of {members} networks {inputs}→{hidden}; this build reads {Inputs} inputs.");
            var mean = ReadFloats(reader, inputs);
            var std = ReadFloats(reader, inputs);
            var labelMean = reader.ReadDouble();
            var labelStd = reader.ReadDouble();
            var net = new Net(members, hidden);
            net.load(reader);
            net.eval();
            return new MlpEnsemble(net, new FeatureScaling(mean, std), labelMean, labelStd);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException)
        {
            throw new InvalidDataException($"Unreadable MLP ensemble: {e.Message}", e);
        }
    }

    private static float[] RawInputs(OperatorNode node)
    {
        var features = OperatorFeatures.Extract(node);
        foreach (var j in LogScaled) features[j] = MathF.Log(1 + features[j]);
        var v = new float[Inputs];
        features.CopyTo(v, 0);
        v[OperatorFeatures.Count + (int)features[ImplementationFeature]] = 1;
        v[Inputs - 1] = (float)KindModel.LogReference(node);
        return v;
    }

    private static int[] Positions(params string[] names) => names.Select(n =>
    {
        var i = Array.IndexOf(OperatorFeatures.Names, n);
        return i >= 0 ? i : throw new InvalidOperationException($"OperatorFeatures has no '{n}'.");
    }).ToArray();

    private static float[] ReadFloats(BinaryReader reader, int count)
    {
        var v = new float[count];
        for (var i = 0; i < count; i++) v[i] = reader.ReadSingle();
        return v;
    }

    /// <summary>
    /// <see cref="Members"/> networks side by side, each three hidden layers of <c>hidden</c> SiLU
    /// units and one output: input [members, rows, inputs], output [members, rows, 1].
    /// </summary>
    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter _w1;
        private readonly Parameter _b1;
        private readonly Parameter _w2;
        private readonly Parameter _b2;
        private readonly Parameter _w3;
        private readonly Parameter _b3;
        private readonly Parameter _wOut;
        private readonly Parameter _bOut;

        public Net(int members, int hidden) : base("mlp_ensemble")
        {
            Members = members;
            Hidden = hidden;
            (_w1, _b1) = Layer(members, Inputs, hidden);
            (_w2, _b2) = Layer(members, hidden, hidden);
            (_w3, _b3) = Layer(members, hidden, hidden);
            (_wOut, _bOut) = Layer(members, hidden, 1);
            RegisterComponents();
        }

        public int Members { get; }

        public int Hidden { get; }

        public override Tensor forward(Tensor input)
        {
            // add_(bias, One), not '+': its alpha Scalar a collection can free mid-call (RootedScalars).
            var h = nn.functional.silu(input.bmm(_w1).add_(_b1, RootedScalars.One));
            h = nn.functional.silu(h.bmm(_w2).add_(_b2, RootedScalars.One));
            h = nn.functional.silu(h.bmm(_w3).add_(_b3, RootedScalars.One));
            return h.bmm(_wOut).add_(_bOut, RootedScalars.One);
        }

        // nn.Linear's initialisation, per member: weights and biases uniform in ±1/sqrt(fan-in).
        private static (Parameter Weight, Parameter Bias) Layer(int members, int inputs, int outputs)
        {
            // (r·2 − 1)·bound with Scalars held to the end of the call (RootedScalars).
            using Scalar two = 2, one = 1, bound = 1 / Math.Sqrt(inputs);
            return (new Parameter(rand(members, inputs, outputs).mul_(two).sub_(one).mul_(bound)),
                new Parameter(rand(members, 1, outputs).mul_(two).sub_(one).mul_(bound)));
        }
    }
}
