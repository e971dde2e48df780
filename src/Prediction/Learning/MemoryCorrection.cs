using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Prediction.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdaMec.Prediction.Learning;

/// <summary>One operator timed with ample memory and under a memory limit.</summary>
/// <param name="Node">The operator.</param>
/// <param name="BudgetBytes">Memory limit of the process that timed it.</param>
/// <param name="BaseMs">Latency without a limit (measured, or f_pre's prediction).</param>
/// <param name="ConstrainedMs">Latency under the limit on the scale of <paramref name="BaseMs"/> (the training target).</param>
public sealed record MemoryObservation(OperatorNode Node, double BudgetBytes, double BaseMs, double ConstrainedMs)
{
    /// <summary>The latency actually measured under the limit (what accuracy is judged against).</summary>
    public double MeasuredMs { get; init; } = ConstrainedMs;
}

/// <summary>
/// f_mem of formula 6: the latency bias an operator suffers when the device has only
/// <c>M_budg</c> bytes of memory, learned by a small two-layer fully connected network (TorchSharp).
/// The network reads the operator's features, the budget and the operator's footprint relative to
/// it, and outputs the log slowdown r; the bias is f_pre(op)·(e^r − 1), so
/// f_pre + f_mem = f_pre·e^r.
/// </summary>
public sealed class MemoryCorrection : IDisposable
{
    private const int Extra = 3;
    private const int Inputs = OperatorFeatures.Count + Extra;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private readonly Net _net;
    private readonly FeatureScaling _scaling;
    private readonly Lock _gate = new();

    private readonly float _low;
    private readonly float _high;

    private MemoryCorrection(Net net, FeatureScaling scaling, float low, float high)
    {
        _net = net;
        _scaling = scaling;
        _low = low;
        _high = high;
    }

    public int Hidden => _net.Hidden;

    public static MemoryCorrection Train(IReadOnlyList<MemoryObservation> data, int hidden = 32, int epochs = 1500, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count < 4) throw new ArgumentException("The memory correction needs at least 4 observations.", nameof(data));
        var raw = data.Select(o => RawInputs(o.Node, o.BaseMs, o.BudgetBytes)).ToArray();
        var scaling = FeatureScaling.Fit(raw, Inputs);
        var labels = data.Select(o => (float)Math.Clamp(Math.Log(o.ConstrainedMs / o.BaseMs), -1, 6)).ToArray();

        // A fifth of the configurations is held back: training stops where the error on them is
        // least, and a network that does not beat "no correction" there is not used at all. On a
        // machine where a memory limit only ever kills a process (no slowdown before it), the
        // slowdowns are noise and this is what keeps f_mem from adding that noise to every estimate.
        var keys = data.Select(o => OperatorConfig.FromNode(o.Node).Key).ToArray();
        var configs = keys.Distinct().ToArray();
        var validation = configs.Length >= 10
            ? configs.Where((_, i) => i % 5 == 4).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
        var inValidation = keys.Select(validation.Contains).ToArray();
        // Never predict beyond the slowdowns seen in training: a ReLU net extrapolates linearly,
        // and e^r of an extrapolated r is how one odd operator ruins a whole-model estimate.
        var low = Math.Min(0, labels.Min());
        var high = Math.Max(0, labels.Max());

        torch.manual_seed(seed);
        var net = new Net(hidden);
        var identity = false;
        using (var scope = NewDisposeScope())
        {
            Tensor Rows(bool held) => tensor(raw.Where((_, i) => inValidation[i] == held).SelectMany(scaling.Apply).ToArray(),
                [inValidation.Count(v => v == held), Inputs]);
            var x = Rows(false);
            var y = tensor(labels.Where((_, i) => !inValidation[i]).ToArray(), [inValidation.Count(v => !v), 1]);
            var heldBase = data.Where((_, i) => inValidation[i]).Select(o => o.BaseMs).ToArray();
            var heldTruth = data.Where((_, i) => inValidation[i]).Select(o => o.ConstrainedMs).ToArray();
            var xHeld = validation.Count > 0 ? Rows(true) : null;
            double HeldError(Func<int, double> predictedLogSlowdown) =>
                heldBase.Select((b, i) => Math.Pow(b * Math.Exp(predictedLogSlowdown(i)) - heldTruth[i], 2)).Sum();
            var noCorrection = HeldError(_ => 0);
            var best = double.PositiveInfinity;
            Dictionary<string, Tensor>? bestState = null;
            using var optimizer = optim.Adam(net.parameters(), lr: 0.01, weight_decay: 1e-4);
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                using (var step = NewDisposeScope())
                {
                    net.train();
                    optimizer.zero_grad();
                    var loss = nn.functional.mse_loss(net.call(x), y);
                    loss.backward();
                    optimizer.step();
                }
                if (xHeld is null || (epoch % 5 != 4 && epoch != epochs - 1)) continue;
                net.eval();
                float[] r;
                using (no_grad()) r = net.call(xHeld).data<float>().ToArray();
                var error = HeldError(i => Math.Clamp(r[i], low, high));
                if (error < best)
                {
                    best = error;
                    if (bestState is not null) foreach (var t in bestState.Values) t.Dispose();
                    bestState = net.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().MoveToOuterDisposeScope());
                }
            }
            if (bestState is not null)
            {
                net.load_state_dict(bestState);
                foreach (var t in bestState.Values) t.Dispose();
                // A margin, because the best of many checkpoints beats "no correction" on noise by chance.
                identity = best > (1 - KeepMargin) * noCorrection;
            }
            net.eval();
        }
        return new MemoryCorrection(net, scaling, low, high) { IsIdentity = identity };
    }

    /// <summary>Share of the held-back squared error the network must remove to be used.</summary>
    public const double KeepMargin = 0.05;

    /// <summary>
    /// True when the network did not beat "no correction" on held-back configurations by
    /// <see cref="KeepMargin"/>: f_mem is then 0 (the measured slowdowns were indistinguishable from noise).
    /// </summary>
    public bool IsIdentity { get; private init; }

    /// <summary>Predicted log slowdown of <paramref name="node"/> under <paramref name="budgetBytes"/>.</summary>
    public double LogSlowdown(OperatorNode node, double baseMs, double budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(node);
        var input = _scaling.Apply(RawInputs(node, baseMs, budgetBytes));
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            return IsIdentity ? 0 : Math.Clamp(_net.call(tensor(input, [1, Inputs])).item<float>(), _low, _high);
        }
    }

    /// <summary>f_mem(op, M_budg): the additive bias in ms.</summary>
    public double BiasMs(OperatorNode node, double baseMs, double budgetBytes) =>
        baseMs * (Math.Exp(LogSlowdown(node, baseMs, budgetBytes)) - 1);

    /// <summary>
    /// The network as plain numbers for <see cref="AdaMec.Core.Context.MemoryCorrectionEvaluator"/>: what
    /// devices and the initiator evaluate without TorchSharp (carried in an atom manifest).
    /// </summary>
    public AdaMec.Core.Atoms.MemoryCorrectionWeights ExportWeights()
    {
        lock (_gate)
        {
            var (hiddenWeight, hiddenBias, outputWeight, outputBias) = _net.Weights();
            return new AdaMec.Core.Atoms.MemoryCorrectionWeights(Hidden, _scaling.Mean.ToArray(), _scaling.Std.ToArray(), _low, _high,
                hiddenWeight, hiddenBias, outputWeight, outputBias[0], IsIdentity);
        }
    }

    public void Save(Stream stream)
    {
        var state = new State(Hidden, _scaling.Mean, _scaling.Std, _low, _high,
            _net.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray()), IsIdentity);
        JsonSerializer.Serialize(stream, state, Json);
    }

    public static MemoryCorrection Load(Stream stream)
    {
        var state = JsonSerializer.Deserialize<State>(stream, Json) ?? throw new InvalidDataException("Empty memory-correction state.");
        var net = new Net(state.Hidden);
        using (no_grad())
        {
            foreach (var (name, parameter) in net.named_parameters())
            {
                if (!state.Parameters.TryGetValue(name, out var values) || values.Length != parameter.numel())
                    throw new InvalidDataException($"Memory-correction parameter '{name}' is missing or has the wrong size.");
                parameter.copy_(tensor(values, parameter.shape));
            }
        }
        net.eval();
        return new MemoryCorrection(net, new FeatureScaling(state.Mean, state.Std), state.Low, state.High) { IsIdentity = state.Identity };
    }

    public void Dispose() => _net.Dispose();

    private static float[] RawInputs(OperatorNode node, double baseMs, double budgetBytes)
    {
        var v = new float[Inputs];
        OperatorFeatures.Extract(node).CopyTo(v, 0);
        var footprint = (double)(node.InputBytes + node.OutputBytes + node.ParameterBytes);
        v[OperatorFeatures.Count] = (float)Math.Log(budgetBytes / 1e6);
        v[OperatorFeatures.Count + 1] = (float)Math.Log((footprint + 1) / budgetBytes);
        v[OperatorFeatures.Count + 2] = (float)Math.Log(Math.Max(baseMs, 1e-4));
        return v;
    }

    private sealed record State(int Hidden, float[] Mean, float[] Std, float Low, float High, Dictionary<string, float[]> Parameters, bool Identity = false);

    /// <summary>Two fully connected layers: inputs → hidden (ReLU) → log slowdown.</summary>
    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        private readonly Linear _hidden;
        private readonly Linear _output;

        public Net(int hidden) : base("f_mem")
        {
            Hidden = hidden;
            _hidden = nn.Linear(Inputs, hidden);
            _output = nn.Linear(hidden, 1);
            RegisterComponents();
        }

        public int Hidden { get; }

        /// <summary>Hidden weights (row per hidden unit), hidden biases, output weights, output bias.</summary>
        public (float[], float[], float[], float[]) Weights() =>
            (_hidden.weight!.data<float>().ToArray(), _hidden.bias!.data<float>().ToArray(),
             _output.weight!.data<float>().ToArray(), _output.bias!.data<float>().ToArray());

        public override Tensor forward(Tensor input) => _output.call(nn.functional.relu(_hidden.call(input)));
    }
}
