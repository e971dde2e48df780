using AdaMec.Core.Atoms;
using AdaMec.Runtime.Execution;
using AdaMec.Runtime.Onnx;

namespace AdaMec.Runtime.Atoms;

/// <summary>Loads the atoms of a partitioned folder on a backend.</summary>
public static class AtomFiles
{
    /// <summary>
    /// One atom of <paramref name="directory"/> on <paramref name="backend"/>. ONNX Runtime runs the
    /// folder's own <c>.onnx</c> file when the manifest lists one (size and SHA-256 checked), else the
    /// model built from the weights file; TorchSharp runs the weights file.
    /// </summary>
    public static IExecutableAtom Load(IExecutionBackend backend, string directory, AtomSpec atom)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(atom);
        if (backend is OnnxBackend onnx && atom.OnnxFile is not null) return onnx.LoadModel(atom, ReadOnnx(directory, atom));
        return backend.Load(atom, AtomWeights.ReadFile(directory, atom));
    }

    /// <summary>Every atom of the folder, in chain order (all disposed if one fails).</summary>
    public static IExecutableAtom[] LoadAll(IExecutionBackend backend, string directory, AtomManifest manifest, int? count = null) =>
        LoadAll(manifest, atom => Load(backend, directory, atom), count);

    /// <summary>Every atom of the manifest loaded by <paramref name="load"/>, in chain order (all disposed if one fails).</summary>
    public static IExecutableAtom[] LoadAll(AtomManifest manifest, Func<AtomSpec, IExecutableAtom> load, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(load);
        var loaded = new List<IExecutableAtom>();
        try
        {
            foreach (var atom in manifest.Atoms.Take(count ?? manifest.Atoms.Count)) loaded.Add(load(atom));
        }
        catch
        {
            foreach (var atom in loaded) atom.Dispose();
            throw;
        }
        return loaded.ToArray();
    }

    /// <summary>DIR/aNN.onnx, checked against the manifest.</summary>
    /// <exception cref="AtomFileException">The manifest lists no ONNX model (an older partition), or the file is missing, truncated or altered.</exception>
    public static byte[] ReadOnnx(string directory, AtomSpec atom)
    {
        ArgumentNullException.ThrowIfNull(atom);
        if (atom.OnnxFile is null || atom.OnnxSha256 is null)
            throw new AtomFileException(atom.Id, $"the manifest in '{directory}' lists no ONNX model (partitioned before ONNX export): run `adamec partition` again");
        var path = Path.Combine(directory, atom.OnnxFile);
        if (!File.Exists(path)) throw new AtomFileException(atom.Id, $"ONNX file '{path}' is missing");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != atom.OnnxFileBytes)
            throw new AtomFileException(atom.Id, $"ONNX file is {bytes.Length} bytes, expected {atom.OnnxFileBytes}");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (!string.Equals(sha, atom.OnnxSha256, StringComparison.OrdinalIgnoreCase))
            throw new AtomFileException(atom.Id, $"ONNX file SHA-256 mismatch: file has {sha}, manifest expects {atom.OnnxSha256}");
        return bytes;
    }

    /// <summary>Runs atoms in chain order; <paramref name="boundary"/> sees each atom's output bytes.</summary>
    public static byte[] Run(IReadOnlyList<IExecutableAtom> atoms, byte[] input, Action<AtomSpec, byte[]>? boundary = null)
    {
        ArgumentNullException.ThrowIfNull(atoms);
        var bytes = input;
        foreach (var atom in atoms)
        {
            bytes = atom.Run(bytes);
            boundary?.Invoke(atom.Spec, bytes);
        }
        return bytes;
    }
}
