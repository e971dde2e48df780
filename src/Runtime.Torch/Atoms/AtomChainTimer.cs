using System.Diagnostics;
using TorchSharp;

namespace AdaMec.Runtime.Atoms;

/// <summary>Per-atom and whole-chain medians of an <see cref="AtomChain"/>.</summary>
/// <param name="AtomMs">Median time of each atom, in chain order.</param>
/// <param name="ChainMs">Median time of the whole chain.</param>
/// <param name="Runs">How many timed runs each median is over.</param>
/// <param name="Threads">libtorch intra-op threads during the runs.</param>
/// <param name="ChainMinMs">Fastest whole-chain run.</param>
/// <param name="ChainMaxMs">Slowest whole-chain run.</param>
public sealed record ChainTiming(IReadOnlyList<double> AtomMs, double ChainMs, int Runs, int Threads, double ChainMinMs, double ChainMaxMs);

/// <summary>
/// Times an atom chain locally: one warm-up run, then <c>runs</c> timed runs, medians per atom and for
/// the whole chain, at a given libtorch thread count (restored afterwards). A median of several runs
/// is what a latency prediction can be held to: a single run on a shared machine once put one atom at
/// several times its neighbours.
/// </summary>
public static class AtomChainTimer
{
    /// <summary>Runs the <c>adamec demo</c> local step takes.</summary>
    public const int DefaultRuns = 11;

    /// <summary>Times <paramref name="chain"/> on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> or <paramref name="runs"/> below 1.</exception>
    public static ChainTiming Measure(AtomChain chain, byte[] input, int threads, int runs = DefaultRuns)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            chain.Run(input);
            var atoms = chain.Atoms.Select(_ => new double[runs]).ToArray();
            var whole = new double[runs];
            for (var run = 0; run < runs; run++)
            {
                var start = Stopwatch.GetTimestamp();
                var last = start;
                var index = 0;
                chain.Run(input, (_, _) =>
                {
                    var now = Stopwatch.GetTimestamp();
                    atoms[index++][run] = Stopwatch.GetElapsedTime(last, now).TotalMilliseconds;
                    last = now;
                });
                whole[run] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            return new ChainTiming(atoms.Select(Median).ToArray(), Median(whole), runs, threads, whole.Min(), whole.Max());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
