using AdaMec.Core.Atoms;

namespace AdaMec.Runtime.Atoms;

/// <summary>The input a model's chain is run on: a user's file, or a seeded random tensor.</summary>
public static class ModelInput
{
    /// <summary>The seed of the random input when no file is given (the same input every run).</summary>
    public const ulong DefaultSeed = 42;

    /// <summary>
    /// The bytes of <paramref name="path"/> (raw little-endian float32 in the model's input shape), or a
    /// random tensor seeded with <see cref="DefaultSeed"/> when <paramref name="path"/> is null.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file's size is not the model's input size.</exception>
    public static byte[] Read(string? path, AtomManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (path is null) return TensorCodec.RandomPayload(manifest.InputShape, DefaultSeed);
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"Input file '{file.FullName}' does not exist.", file.FullName);
        // Checked before reading: a wrong file can be any size.
        if (file.Length != manifest.InputShape.Bytes)
            throw new InvalidDataException(
                $"Input file has {file.Length} bytes; {manifest.Model} takes {manifest.InputShape} float32 = {manifest.InputShape.Bytes} bytes.");
        return File.ReadAllBytes(file.FullName);
    }
}
