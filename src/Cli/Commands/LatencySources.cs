using System.CommandLine;
using AdaMec.Core.Graph;
using AdaMec.Core.Partitioning;
using AdaMec.Runtime.Execution;
using AdaMec.Prediction.Learning;

namespace AdaMec.Cli.Commands;

/// <summary>
/// Which per-operator latency source the partitioner and the planner benchmark use. `auto` is the
/// learned runtime predictor (data/predictor/predictor.zip, trained from the committed profile on
/// first use) and falls back to measuring this machine when no predictor or profile is found.
/// </summary>
internal static class LatencySources
{
    public static Option<string> KindOption() => new("--latency")
    {
        Description = "Per-operator latency source: auto (the learned predictor, else measure), predictor, measured, flops",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<FileInfo?> PredictorOption() => new("--predictor")
    {
        Description = "A saved predictor (adamec predictor train); default data/predictor/predictor.zip",
    };

    /// <summary>The latency model for <paramref name="graph"/>; `measured` needs the graph to time its operators.</summary>
    public static IOperatorLatencyModel Resolve(string kind, FileInfo? predictor, OperatorGraph graph)
    {
        if (predictor is not null) return LearnedLatencyModel.Load(predictor.FullName);
        return kind.ToLowerInvariant() switch
        {
            "auto" => DefaultPredictor() ?? (IOperatorLatencyModel)MeasuredLatencyModel.Measure(graph),
            "predictor" => DefaultPredictor() ?? throw new FileNotFoundException($"No predictor: neither {LearnedLatencyModel.DefaultRelativePath} nor {LearnedLatencyModel.DefaultSamplesRelativePath} was found above the current folder. Train one with `adamec predictor train`."),
            "measured" => MeasuredLatencyModel.Measure(graph),
            "flops" => new FlopsLatencyModel(),
            _ => throw new ArgumentException($"--latency must be auto, predictor, measured or flops, not '{kind}'"),
        };
    }

    // Looked up above the executable first (a checkout's bin/), then above the working folder.
    private static LearnedLatencyModel? DefaultPredictor() =>
        LearnedLatencyModel.LoadOrTrainDefault(AppContext.BaseDirectory, Console.Error.WriteLine)
        ?? LearnedLatencyModel.LoadOrTrainDefault(log: Console.Error.WriteLine);
}
