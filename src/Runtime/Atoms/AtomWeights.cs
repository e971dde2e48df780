using AdaMec.Core.Atoms;

namespace AdaMec.Runtime.Atoms;

/// <summary>The checks every backend makes on an atom's weights file before building anything from it.</summary>
public static class AtomWeights
{
    /// <summary>Checks size and SHA-256 against the spec, then parses the file with bounds checks.</summary>
    /// <exception cref="AtomFileException">Wrong size, wrong hash, or a malformed file.</exception>
    public static IReadOnlyList<WeightsFile.StoredTensor> Verify(byte[] weights, AtomSpec atom)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(atom);
        if (weights.Length != atom.FileBytes)
            throw new AtomFileException(atom.Id, $"weights are {weights.Length} bytes, expected {atom.FileBytes} ({(weights.Length < atom.FileBytes ? "truncated" : "extra data")})");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(weights));
        if (!string.Equals(sha, atom.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new AtomFileException(atom.Id, $"SHA-256 mismatch: file has {sha}, manifest expects {atom.Sha256} (corrupted or from another partition)");
        try
        {
            return WeightsFile.Read(weights);
        }
        catch (InvalidDataException e)
        {
            throw new AtomFileException(atom.Id, $"weights file is malformed: {e.Message}", e);
        }
    }

    /// <summary>Reads DIR/atom.File (the caller verifies it).</summary>
    public static byte[] ReadFile(string directory, AtomSpec atom)
    {
        ArgumentNullException.ThrowIfNull(atom);
        var path = Path.Combine(directory, atom.File);
        if (!File.Exists(path)) throw new AtomFileException(atom.Id, $"weights file '{path}' is missing");
        return File.ReadAllBytes(path);
    }
}
