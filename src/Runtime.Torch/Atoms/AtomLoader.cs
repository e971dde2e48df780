using AdaMec.Core.Atoms;
using AdaMec.Runtime.Execution;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>
/// Loads one atom on its own: rebuilds its operators from the spec, checks the weights file's size
/// and SHA-256, parses it with bounds checks, and requires exactly the expected tensors and shapes.
/// Every failure is an <see cref="AtomFileException"/> naming the atom and the problem.
/// </summary>
public static class AtomLoader
{
    public static GraphSliceModule Load(string directory, AtomSpec atom)
    {
        ArgumentNullException.ThrowIfNull(atom);
        return Load(AtomWeights.ReadFile(directory, atom), atom);
    }

    /// <summary>Loads an atom from weight bytes received from another device.</summary>
    public static GraphSliceModule Load(byte[] weights, AtomSpec atom)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(atom);
        var entries = AtomWeights.Verify(weights, atom);

        GraphSliceModule module;
        try
        {
            module = new GraphSliceModule(atom.Id, atom.Nodes);
        }
        catch (ArgumentException e)
        {
            throw new AtomFileException(atom.Id, $"spec does not describe an executable slice: {e.Message}", e);
        }
        try
        {
            Assign(module, entries, atom.Id);
        }
        catch
        {
            module.Dispose();
            throw;
        }
        return module;
    }

    private static void Assign(GraphSliceModule module, IReadOnlyList<WeightsFile.StoredTensor> entries, string atomId)
    {
        var expected = module.NamedTensors().ToDictionary(t => t.Key, t => t.Tensor);
        var given = new Dictionary<string, WeightsFile.StoredTensor>();
        foreach (var entry in entries)
        {
            if (!given.TryAdd(entry.Name, entry)) throw new AtomFileException(atomId, $"tensor '{entry.Name}' appears twice");
        }
        var missing = expected.Keys.Except(given.Keys).ToArray();
        if (missing.Length > 0) throw new AtomFileException(atomId, $"weights lack {string.Join(", ", missing.Take(5))}");
        var extra = given.Keys.Except(expected.Keys).ToArray();
        if (extra.Length > 0) throw new AtomFileException(atomId, $"weights carry unexpected {string.Join(", ", extra.Take(5))}");

        using var _ = no_grad();
        foreach (var (name, target) in expected)
        {
            var entry = given[name];
            if (!entry.Shape.SequenceEqual(target.shape))
                throw new AtomFileException(atomId, $"'{name}' has shape [{string.Join("x", entry.Shape)}], the operator needs [{string.Join("x", target.shape)}]");
            if (target.dtype == ScalarType.Float32 && target.is_contiguous())
            {
                entry.Data.Span.CopyTo(target.bytes);
                continue;
            }
            // Integer buffers (BN's step counter) are stored as float32 like everything else.
            using var source = tensor(entry.ToFloats(), entry.Shape).to_type(target.dtype);
            target.copy_(source);
        }
    }
}
