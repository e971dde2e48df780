using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdaMec.Core.Graph;
using AdaMec.Core.Partitioning;
using AdaMec.Prediction.Profiling;
using Microsoft.ML;

namespace AdaMec.Prediction.Learning;

/// <summary>
/// The runtime latency predictor (paper §4.2): one learned regressor per operator kind, f_pre
/// (trained on operators timed alone and hot, the repeatable measurement), the in-model
/// correction that turns that into the operator's latency inside a network, and an optional
/// memory correction f_mem (formula 6). This is what the partitioner and the planner consume
/// through <see cref="IOperatorLatencyModel"/>. A saved predictor is one zip file: a JSON
/// manifest, per kind an ML.NET model and/or a network ensemble, the in-model correction and the
/// memory-correction network.
/// </summary>
public sealed class LearnedLatencyModel : IOperatorLatencyModel
{
    /// <summary>Where <c>adamec predictor train</c> puts the default predictor, relative to the repository root.</summary>
    public const string DefaultRelativePath = "data/predictor/predictor.zip";

    /// <summary>The profile of this machine the default predictor is trained from.</summary>
    public const string DefaultSamplesRelativePath = "data/profile/samples.csv";

    /// <summary>Operators timed inside calibration networks on this machine (the in-model correction).</summary>
    public const string DefaultCalibrationRelativePath = "data/profile/calibration.csv";

    /// <summary>
    /// The default learners, the best per kind by `predictor eval` on the committed 42,966-conv profile
    /// (see src/Prediction/Learning/README.md): FastTree with the networks on every kind (conv 90.8
    /// against 89.3% within ±10% for FastTree alone; avg-pool 86.0 against 70.9%) but fc, where FastTree
    /// alone leads (88.3 against 82.1%).
    /// </summary>
    public static LearnerChoice DefaultLearner { get; } = LearnerChoice.Parse("fasttree+mlp,fc=fasttree");

    // 2: the in-model correction is a FastTree model (context/in_model.zip), no longer power laws.
    // 3: 33 features (the conv's implementation and layout copies); format-2 models read 30.
    // 4: kinds may carry a network ensemble (models/<kind>.mlp); the default learner is fasttree+mlp.
    // 5: the default predictor records the profile it was trained from (TrainedFrom); a format-4
    //    default cannot say, so it is retrained once. The learner may name per-kind exceptions
    //    ("fasttree+mlp,conv=fasttree"); a plain name, as older format-5 files have, reads as before.
    private const int FormatVersion = 5;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly Dictionary<OperatorKind, KindModel> _models;
    private readonly KindModel _pooled;
    private readonly Dictionary<OperatorKind, int> _counts;
    private readonly ConcurrentDictionary<string, double> _cache = new(StringComparer.Ordinal);

    private LearnedLatencyModel(LearnerChoice learner, Dictionary<OperatorKind, KindModel> models, KindModel pooled,
        Dictionary<OperatorKind, int> counts, int threads, MemoryCorrection? memory)
    {
        Learner = learner;
        _models = models;
        _pooled = pooled;
        _counts = counts;
        Threads = threads;
        Memory = memory;
    }

    public string Name => $"predictor:{(Learner.Exceptions.Count == 0 ? Learner : $"({Learner})")}" + (Context is null ? "" : "+ctx") + (Memory is null ? "" : "+mem");

    /// <summary>The learner of each kind's model.</summary>
    public LearnerChoice Learner { get; }

    /// <summary>libtorch threads the training samples were taken with (0 if unknown).</summary>
    public int Threads { get; }

    /// <summary>Kinds with their own model; the others use a model pooled over all kinds.</summary>
    public IReadOnlyCollection<OperatorKind> Kinds => _models.Keys;

    /// <summary>The memory correction f_mem, if one was trained.</summary>
    public MemoryCorrection? Memory { get; private set; }

    /// <summary>
    /// For the default predictor: a SHA-256 of the learners and the committed profile and calibration
    /// it was trained from, so a changed profile (a pull) or default learner retrains it. Null for
    /// predictors trained by hand, which are never replaced.
    /// </summary>
    public string? TrainedFrom { get; private set; }

    /// <summary>The in-model correction, if one was fitted (without it predictions are isolated, hot latencies).</summary>
    public ContextCorrection? Context { get; private set; }

    /// <summary>Memory available on the target device, applied by <see cref="PredictMs(OperatorNode)"/>; null: unconstrained.</summary>
    public double? MemoryBudgetBytes { get; set; }

    public static LearnedLatencyModel Train(IReadOnlyList<OperatorSample> samples, LearnerKind learner, int seed = 1) =>
        Train(samples, new LearnerChoice(learner), seed);

    /// <summary>One model per kind, each by the learner <paramref name="learner"/> names for it, and one pooled over every kind.</summary>
    public static LearnedLatencyModel Train(IReadOnlyList<OperatorSample> samples, LearnerChoice learner, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(samples);
        var usable = SampleCsv.Collapse(samples.Where(s => s.MemoryMb is null)).ToArray();
        if (usable.Length == 0) throw new ArgumentException("No unconstrained samples to train on.", nameof(samples));
        var ml = new MLContext(seed);
        var models = new Dictionary<OperatorKind, KindModel>();
        var counts = new Dictionary<OperatorKind, int>();
        foreach (var group in usable.GroupBy(s => s.Config.Kind))
        {
            models[group.Key] = KindModel.Train(ml, learner.For(group.Key), group.Select(s => (s.Node, s.LatencyMs)).ToArray(), seed);
            counts[group.Key] = group.Count();
        }
        var pooled = KindModel.Train(ml, learner.Learner, usable.Select(s => (s.Node, s.LatencyMs)).ToArray(), seed);
        var threads = usable.Select(s => s.Threads).Distinct().Count() == 1 ? usable[0].Threads : 0;
        return new LearnedLatencyModel(learner, models, pooled, counts, threads, null);
    }

    /// <summary>f_pre: the predicted latency of <paramref name="node"/> timed alone and hot, with ample memory, in ms.</summary>
    public double PredictBaseMs(OperatorNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var key = OperatorConfig.FromNode(node).Key;
        return _cache.GetOrAdd(key, _ => (_models.TryGetValue(node.Kind, out var model) ? model : _pooled).PredictMs(node));
    }

    public double PredictMs(OperatorNode node) => PredictMs(node, MemoryBudgetBytes);

    /// <summary>f_pre with the in-model correction: the operator's latency inside a network, ample memory.</summary>
    public double PredictInModelMs(OperatorNode node)
    {
        var isolated = PredictBaseMs(node);
        return Context is { } context ? context.InModelMs(node, isolated) : isolated;
    }

    /// <summary>f_pre(op) + f_mem(op, M_budg) (the per-operator term of formula 6), f_pre taken inside a network.</summary>
    public double PredictMs(OperatorNode node, double? memoryBudgetBytes)
    {
        var baseMs = PredictInModelMs(node);
        return memoryBudgetBytes is { } budget && Memory is { } memory ? Math.Max(0, baseMs + memory.BiasMs(node, baseMs, budget)) : baseMs;
    }

    /// <summary>Formula 6: the latency of an atom (any run of operators) on a device with the given memory.</summary>
    public double PredictAtomMs(IEnumerable<OperatorNode> nodes, double? memoryBudgetBytes = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return nodes.Sum(n => PredictMs(n, memoryBudgetBytes));
    }

    /// <summary>
    /// Fits (or replaces) the in-model correction from operators timed inside calibration networks.
    /// </summary>
    public void FitContext(IReadOnlyList<OperatorSample> calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        Context = ContextCorrection.Fit(calibration, PredictBaseMs);
    }

    /// <summary>Attaches (or replaces) the memory correction.</summary>
    public void UseMemoryCorrection(MemoryCorrection? memory) => Memory = memory;

    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory) Directory.CreateDirectory(directory);
        // A name of its own: two processes training the default predictor at once must not share one.
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        using (var file = File.Create(temporary))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            KindEntry WriteModel(string name, KindModel model, int count)
            {
                var trees = model.HasTrees ? $"models/{name}.zip" : null;
                if (trees is not null) Write(zip, trees, model.SaveTrees);
                var networks = model.HasNetworks ? $"models/{name}.mlp" : null;
                if (networks is not null) Write(zip, networks, model.SaveNetworks);
                return new KindEntry(name, trees, model.ConstantMs, count, networks);
            }
            var entries = _models.OrderBy(p => p.Key).Select(p => WriteModel(p.Key.ToName(), p.Value, _counts.GetValueOrDefault(p.Key))).ToList();
            var pooled = WriteModel("pooled", _pooled, _counts.Values.Sum());
            string? contextName = null;
            if (Context is not null)
            {
                contextName = "context/in_model.zip";
                Write(zip, contextName, Context.Save);
            }
            string? memoryName = null;
            if (Memory is not null)
            {
                memoryName = "memory/f_mem.json";
                Write(zip, memoryName, Memory.Save);
            }
            var manifest = new Manifest(FormatVersion, Learner.ToString(), Threads, DateTimeOffset.UtcNow, entries, pooled, memoryName, contextName, TrainedFrom);
            Write(zip, "manifest.json", s => JsonSerializer.Serialize(s, manifest, Json));
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static LearnedLatencyModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No predictor at '{path}'. Train one with `adamec predictor train --samples CSV --out FILE`.", path);
        using var zip = ZipFile.OpenRead(path);
        var manifest = JsonSerializer.Deserialize<Manifest>(Read(zip, "manifest.json", path), Json)
            ?? throw new InvalidDataException($"{path}: empty manifest.");
        if (manifest.Format != FormatVersion) throw new InvalidDataException($"{path}: predictor format {manifest.Format}, this build reads {FormatVersion}.");
        LearnerChoice learner;
        try
        {
            learner = LearnerChoice.Parse(manifest.Learner);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var ml = new MLContext(1);
        KindModel LoadEntry(KindEntry e, LearnerKind kindLearner)
        {
            try
            {
                return KindModel.Load(ml, kindLearner,
                    e.Entry is null ? null : Read(zip, e.Entry, path), e.Networks is null ? null : Read(zip, e.Networks, path), e.ConstantMs);
            }
            catch (InvalidDataException error) when (!error.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}: the {e.Op} model: {error.Message}", error);
            }
        }
        var kinds = manifest.Kinds.Select(e => (Entry: e, Kind: OperatorKindNames.Parse(e.Op))).ToArray();
        var models = kinds.ToDictionary(k => k.Kind, k => LoadEntry(k.Entry, learner.For(k.Kind)));
        var counts = kinds.ToDictionary(k => k.Kind, k => k.Entry.Count);
        var memory = manifest.Memory is null ? null : MemoryCorrection.Load(Read(zip, manifest.Memory, path));
        var context = manifest.Context is null ? null : ContextCorrection.Load(Read(zip, manifest.Context, path));
        return new LearnedLatencyModel(learner, models, LoadEntry(manifest.Pooled, learner.Learner), counts, manifest.Threads, memory)
        {
            Context = context,
            TrainedFrom = manifest.TrainedFrom,
        };
    }

    /// <summary>Finds the default predictor by walking up from <paramref name="start"/> (default: current directory).</summary>
    public static string? FindDefault(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DefaultRelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// The predictor the partitioner and planner use by default: <see cref="DefaultRelativePath"/>
    /// if present, readable and trained from the committed profile as it is now (see
    /// <see cref="TrainedFrom"/>), else trained (one to two minutes on two cores) with <see cref="DefaultLearner"/> from the
    /// committed profile <see cref="DefaultSamplesRelativePath"/> (with the in-model correction from
    /// <see cref="DefaultCalibrationRelativePath"/> when present) and saved there; <paramref name="log"/>
    /// hears when that starts. One process trains it at a time: another that needs it meanwhile waits
    /// for the file (<paramref name="log"/> hears that too). Null when neither exists.
    /// </summary>
    public static LearnedLatencyModel? LoadOrTrainDefault(string? start = null, Action<string>? log = null)
    {
        for (var dir = new DirectoryInfo(start ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var samples = Path.Combine(dir.FullName, DefaultSamplesRelativePath);
            if (!File.Exists(samples)) continue;
            var target = Path.Combine(dir.FullName, DefaultRelativePath);
            var calibration = Path.Combine(dir.FullName, DefaultCalibrationRelativePath);
            var source = SourceOf(samples, calibration);
            if (TryLoadCache(target, source) is { } cached) return cached;
            // Two trainings at once on a two-core device each take twice as long (a fresh clone's
            // test suite ran two and timed out): the second process waits and loads the first's file.
            using var training = AcquireTrainingLock(target + ".lock", log);
            if (TryLoadCache(target, source) is { } trainedMeanwhile) return trainedMeanwhile;
            log?.Invoke($"Training the default predictor ({DefaultLearner}) from {samples}, once: one to two minutes.");
            var model = Train(SampleCsv.Read(samples), DefaultLearner);
            if (File.Exists(calibration)) model.FitContext(SampleCsv.Read(calibration));
            model.TrainedFrom = source;
            model.Save(target);
            return model;
        }
        return FindDefault(start) is { } path ? TryLoadCache(path, source: null) : null;
    }

    /// <summary>
    /// The default predictor when it is already trained from the committed profile as it is now (found
    /// walking up from <paramref name="start"/>); null otherwise. Never trains: for callers that have a
    /// cheaper latency source and cannot wait the minutes a training takes.
    /// </summary>
    public static LearnedLatencyModel? LoadDefaultIfTrained(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var samples = Path.Combine(dir.FullName, DefaultSamplesRelativePath);
            if (!File.Exists(samples)) continue;
            var calibration = Path.Combine(dir.FullName, DefaultCalibrationRelativePath);
            return TryLoadCache(Path.Combine(dir.FullName, DefaultRelativePath), SourceOf(samples, calibration));
        }
        return null;
    }

    /// <summary>SHA-256 of the learners, the profile and (when present) the calibration a default predictor is trained from.</summary>
    private static string SourceOf(string samples, string calibration)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(DefaultLearner + "\n"));
        hash.AppendData(File.ReadAllBytes(samples));
        if (File.Exists(calibration)) hash.AppendData(File.ReadAllBytes(calibration));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>
    /// The default predictor at <paramref name="path"/>, or null when it is missing, unreadable, or
    /// was trained from another profile than <paramref name="source"/> (one trained by hand is kept).
    /// </summary>
    private static LearnedLatencyModel? TryLoadCache(string path, string? source)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var model = Load(path);
            return source is null || model.TrainedFrom is null || model.TrainedFrom == source ? model : null;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException)
        {
            // The default predictor is a cache of the committed profile: one written by an
            // older build is retrained rather than failing every partition.
            return null;
        }
    }

    /// <summary>An exclusive lock on <paramref name="path"/> (flock on Linux: the kernel drops it when its process dies).</summary>
    private static FileStream AcquireTrainingLock(string path, Action<string>? log)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (var announced = false; ; announced = true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e.HResult is HeldByAnotherProcessUnix or HeldByAnotherProcessWindows)
            {
                if (!announced) log?.Invoke($"Another process is training the default predictor; waiting for it ({path}).");
                Thread.Sleep(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private const int HeldByAnotherProcessUnix = 11; // EWOULDBLOCK from flock
    private const int HeldByAnotherProcessWindows = unchecked((int)0x80070020); // ERROR_SHARING_VIOLATION

    private static void Write(ZipArchive zip, string name, Action<Stream> write)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        write(stream);
    }

    private static MemoryStream Read(ZipArchive zip, string name, string path)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"{path}: entry '{name}' is missing.");
        var copy = new MemoryStream();
        using (var stream = entry.Open()) stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    /// <summary>A kind's model: its ML.NET trees (<paramref name="Entry"/>) and/or networks, or a constant when both are null.</summary>
    private sealed record KindEntry(string Op, string? Entry, double ConstantMs, int Count, string? Networks = null);

    private sealed record Manifest(int Format, string Learner, int Threads, DateTimeOffset Trained, List<KindEntry> Kinds, KindEntry Pooled, string? Memory,
        string? Context = null, string? TrainedFrom = null);
}
