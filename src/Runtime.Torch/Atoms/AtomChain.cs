using AdaMec.Core.Atoms;
using AdaMec.Runtime.Execution;
using static TorchSharp.torch;

namespace AdaMec.Runtime.Atoms;

/// <summary>
/// Runs a partitioned model atom by atom on this machine, passing each boundary tensor as bytes,
/// exactly as it would travel between devices.
/// </summary>
public sealed class AtomChain : IDisposable
{
    private readonly GraphSliceModule[] _atoms;

    private AtomChain(AtomManifest manifest, GraphSliceModule[] atoms)
    {
        Manifest = manifest;
        _atoms = atoms;
    }

    public AtomManifest Manifest { get; }

    /// <summary>The loaded atoms, a prefix of the manifest's chain.</summary>
    public IReadOnlyList<AtomSpec> Atoms => Manifest.Atoms.Take(_atoms.Length).ToArray();

    /// <param name="directory">Folder with manifest.json and the atom files.</param>
    /// <param name="count">Load only the first <paramref name="count"/> atoms (null: all).</param>
    public static AtomChain Load(string directory, int? count = null)
    {
        var manifest = AtomManifest.Load(directory);
        if (count is { } n && (n < 1 || n > manifest.Atoms.Count))
            throw new ArgumentException($"can load 1 to {manifest.Atoms.Count} atoms of {manifest.Model}, not {n}", nameof(count));
        var loaded = new List<GraphSliceModule>();
        try
        {
            foreach (var atom in manifest.Atoms.Take(count ?? manifest.Atoms.Count)) loaded.Add(AtomLoader.Load(directory, atom));
        }
        catch
        {
            foreach (var module in loaded) module.Dispose();
            throw;
        }
        return new AtomChain(manifest, loaded.ToArray());
    }

    /// <summary>Runs every atom; <paramref name="boundary"/> sees each atom's output bytes.</summary>
    public byte[] Run(byte[] input, Action<AtomSpec, byte[]>? boundary = null)
    {
        using var _ = inference_mode();
        var bytes = input;
        for (var i = 0; i < _atoms.Length; i++)
        {
            bytes = RunAtom(_atoms[i], Manifest.Atoms[i], bytes);
            boundary?.Invoke(Manifest.Atoms[i], bytes);
        }
        return bytes;
    }

    /// <summary>One atom: bytes in, bytes out, input size checked against the spec.</summary>
    public static byte[] RunAtom(GraphSliceModule module, AtomSpec atom, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(atom);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length != atom.InputBytes)
            throw new ArgumentException($"atom {atom.Id} expects {atom.InputShape} ({atom.InputBytes} bytes), got {input.Length} bytes", nameof(input));
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        using var x = TensorCodec.Decode(input, atom.InputShape);
        return TensorCodec.Encode(module.call(x));
    }

    public void Dispose()
    {
        foreach (var atom in _atoms) atom.Dispose();
    }
}
