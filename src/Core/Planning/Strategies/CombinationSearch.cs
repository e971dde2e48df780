namespace AdaMec.Core.Planning.Strategies;

/// <summary>
/// The paper's context-adaptive combination search (§3.2.3) over the search graph whose vertices
/// are assignments and whose edges change one atom's device. Vertices are generated on demand from
/// the seeds (never all D^n): each round expands every vertex of the set into its n(D-1)
/// neighbours and keeps the top k. Phase 1 ranks by the constraint gap (formula 5) until some
/// vertex is feasible; phase 2 keeps only feasible vertices and ranks them by the objective
/// (least latency, then fewest weight bytes moved) until the set stops changing.
/// Neighbours are costed incrementally (only the moved atom's two boundaries and two devices'
/// budgets change) and identified by a Zobrist hash, so a round costs O(k n D (D + 1)).
/// </summary>
internal sealed class CombinationSearch
{
    private readonly CostTables _t;
    private readonly int _k;
    private readonly int _maxRounds;
    private readonly ulong[] _zobrist;
    private readonly HashSet<ulong> _visited = [];

    public CombinationSearch(CostTables tables, int beamWidth, int maxRounds)
    {
        _t = tables;
        _k = Math.Max(1, beamWidth);
        _maxRounds = maxRounds;
        // Fixed seed: the search is deterministic, so the same problem always gets the same plan.
        var random = new Random(0x5EED);
        _zobrist = new ulong[tables.N * tables.D];
        for (var i = 0; i < _zobrist.Length; i++)
        {
            _zobrist[i] = (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1);
        }
    }

    public long Explored { get; private set; }

    public PlanResult Run(IEnumerable<int[]> seeds)
    {
        var beam = new List<Vertex>();
        foreach (var seed in seeds)
        {
            var vertex = Vertex.Create(_t, seed, Hash(seed));
            if (_visited.Add(vertex.Hash)) beam.Add(vertex);
        }

        var feasiblePhase = beam.Exists(v => v.Feasible);
        beam = Top(beam, feasiblePhase);
        for (var round = 0; round < _maxRounds; round++)
        {
            var candidates = new List<Vertex>(beam);
            var worstKept = beam.Count < _k ? null : beam[^1];
            foreach (var vertex in beam)
            {
                Expand(vertex, feasiblePhase, worstKept, candidates);
            }

            if (!feasiblePhase && candidates.Exists(v => v.Feasible))
            {
                feasiblePhase = true; // the goal switches from "reach the constraints" to "maximise benefit"
            }

            var next = Top(candidates, feasiblePhase);
            if (next.Count == beam.Count && next.Zip(beam).All(p => ReferenceEquals(p.First, p.Second))) break;
            beam = next;
        }

        var best = beam[0];
        return _t.Result(best.X, explored: Explored);
    }

    private List<Vertex> Top(List<Vertex> vertices, bool feasiblePhase)
    {
        var pool = feasiblePhase ? vertices.FindAll(v => v.Feasible) : vertices;
        pool.Sort((a, b) => Compare(a, b, feasiblePhase));
        return pool.Count > _k ? pool.GetRange(0, _k) : pool;
    }

    private static int Compare(Vertex a, Vertex b, bool feasiblePhase) =>
        feasiblePhase
            ? PlanOrder.CompareFeasible(a.Latency, a.Moved, b.Latency, b.Moved)
            : PlanOrder.Compare(a.Feasible, a.Latency, a.Gap, a.Moved, b.Feasible, b.Latency, b.Gap, b.Moved);

    private void Expand(Vertex from, bool feasiblePhase, Vertex? worstKept, List<Vertex> into)
    {
        var t = _t;
        var x = from.X;
        var memory = from.Memory;
        var compute = from.Compute;
        for (var i = 0; i < t.N; i++)
        {
            var old = x[i];
            var previous = i == 0 ? t.Initiator : x[i - 1];
            var next = i == t.N - 1 ? t.Initiator : x[i + 1];
            var removed = t.Transfer(i, previous, old) + t.Exec[(i * t.D) + old] + t.Transfer(i + 1, old, next);
            for (var d = 0; d < t.D; d++)
            {
                if (d == old) continue;
                var hash = from.Hash ^ _zobrist[(i * t.D) + old] ^ _zobrist[(i * t.D) + d];
                if (_visited.Contains(hash)) continue;
                Explored++;
                var added = t.Transfer(i, previous, d) + t.Exec[(i * t.D) + d] + t.Transfer(i + 1, d, next);
                // Incremental latency can differ from chain-order summation in the last bits; it
                // only ranks candidates, and every kept vertex is re-costed exactly below.
                var latency = double.IsFinite(removed) ? from.Latency - removed + added : double.NaN;
                memory[old] -= t.Memory[i];
                compute[old] -= t.Flops[i];
                memory[d] += t.Memory[i];
                compute[d] += t.Flops[i];
                var within = Within(memory, compute);
                var moved = from.Moved - t.MovedBytes(i, old) + t.MovedBytes(i, d);
                var exact = double.IsNaN(latency);
                if (exact) latency = double.PositiveInfinity; // recomputed exactly if it is kept
                var feasible = within && latency <= t.Requirement;
                var gap = feasible ? 0 : ConstraintGap.Compute(latency, t.Requirement, compute, t.ComputeBudget, memory, t.MemoryBudget, t.Weights);
                memory[d] -= t.Memory[i];
                compute[d] -= t.Flops[i];
                memory[old] += t.Memory[i];
                compute[old] += t.Flops[i];

                if (feasiblePhase && !feasible && !exact) continue;
                if (!exact && worstKept is not null
                    && PlanOrder.Compare(feasible, latency, gap, moved, worstKept.Feasible, worstKept.Latency, worstKept.Gap, worstKept.Moved) >= 0)
                {
                    continue; // cannot enter the top k; not marked visited so another parent may reach it
                }

                _visited.Add(hash);
                var neighbour = (int[])x.Clone();
                neighbour[i] = d;
                into.Add(Vertex.Create(t, neighbour, hash));
            }
        }
    }

    private bool Within(double[] memory, double[] compute)
    {
        for (var j = 0; j < _t.D; j++)
        {
            if (memory[j] > _t.MemoryBudget[j] || compute[j] > _t.ComputeBudget[j]) return false;
        }

        return true;
    }

    private ulong Hash(int[] x)
    {
        var hash = 0UL;
        for (var i = 0; i < x.Length; i++)
        {
            hash ^= _zobrist[(i * _t.D) + x[i]];
        }

        return hash;
    }

    private sealed class Vertex
    {
        public required int[] X { get; init; }

        public required ulong Hash { get; init; }

        public required double Latency { get; init; }

        public required double Moved { get; init; }

        public required double Gap { get; init; }

        public required bool Feasible { get; init; }

        public required double[] Memory { get; init; }

        public required double[] Compute { get; init; }

        public static Vertex Create(CostTables t, int[] x, ulong hash)
        {
            // Exact, chain-order costing: what the vertex claims is what the evaluator will find.
            var result = t.Result(x);
            var memory = new double[t.D];
            var compute = new double[t.D];
            for (var i = 0; i < t.N; i++)
            {
                memory[x[i]] += t.Memory[i];
                compute[x[i]] += t.Flops[i];
            }

            return new Vertex
            {
                X = x,
                Hash = hash,
                Latency = result.LatencyMs,
                Moved = result.WeightBytesMoved,
                Gap = result.ConstraintGap,
                Feasible = result.Feasible,
                Memory = memory,
                Compute = compute,
            };
        }
    }
}
