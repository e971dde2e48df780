using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdaMec.Core.Serialization;

namespace AdaMec.Core.Atoms;

/// <summary>
/// Signs and verifies atoms (ECDSA P-256 over SHA-256, System.Security.Cryptography). Each atom of a
/// manifest carries its own signature over its spec (compact JSON without the signature), so a silo
/// that receives one atom's spec can check it alone; the spec holds the weights' SHA-256, so the
/// signature covers the weights. Keys: NAME.key (PKCS#8 PEM, owner-only) and NAME.pub (SubjectPublicKeyInfo PEM).
/// </summary>
public static class AtomSigning
{
    /// <summary>Largest key file read, bytes (a P-256 PEM is under 300).</summary>
    public const int MaxKeyFileBytes = 8192;

    /// <summary>The bytes a signature covers: the spec as compact JSON without its signature.</summary>
    public static byte[] SignedBytes(AtomSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(spec with { Signature = null }, AdaMecJson.Compact));
    }

    /// <summary>A new key pair: writes NAME.key and NAME.pub (refuses to overwrite either).</summary>
    public static (string PrivateKeyFile, string PublicKeyFile) GenerateKeyPair(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var (keyFile, pubFile) = (name + ".key", name + ".pub");
        foreach (var file in new[] { keyFile, pubFile })
            if (File.Exists(file)) throw new ArgumentException($"--out: '{Path.GetFullPath(file)}' exists; a key is never overwritten (remove it first)");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(keyFile, options)) stream.Write(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"));
        File.WriteAllText(pubFile, key.ExportSubjectPublicKeyInfoPem() + "\n");
        return (Path.GetFullPath(keyFile), Path.GetFullPath(pubFile));
    }

    /// <summary>Signs every atom of the manifest in <paramref name="directory"/> with the private key in <paramref name="keyFile"/> and rewrites the manifest.</summary>
    /// <exception cref="AtomFileException">The manifest is unusable.</exception>
    /// <exception cref="InvalidDataException">The key file is not a P-256 private key.</exception>
    public static AtomManifest SignManifest(string directory, string keyFile)
    {
        var manifest = AtomManifest.Load(directory);
        using var key = LoadKey(keyFile, isPrivate: true);
        var signed = manifest with
        {
            Atoms = manifest.Atoms.Select(a => a with { Signature = Convert.ToBase64String(key.SignData(SignedBytes(a), HashAlgorithmName.SHA256)) }).ToArray(),
        };
        signed.Save(directory);
        return signed;
    }

    /// <summary>Whether <paramref name="spec"/> carries a signature that verifies against one of <paramref name="trusted"/>.</summary>
    public static bool Verify(AtomSpec spec, IReadOnlyList<ECDsa> trusted)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(trusted);
        if (spec.Signature is not { Length: > 0 and <= 256 } text) return false;
        Span<byte> signature = stackalloc byte[192];
        if (!Convert.TryFromBase64String(text, signature, out var length)) return false;
        var data = SignedBytes(spec);
        foreach (var key in trusted)
            if (key.VerifyData(data, signature[..length], HashAlgorithmName.SHA256)) return true;
        return false;
    }

    /// <summary>Reads a P-256 key from a PEM file (private: NAME.key; public: NAME.pub).</summary>
    /// <exception cref="InvalidDataException">Not a P-256 key of that kind; the message names the file.</exception>
    public static ECDsa LoadKey(string file, bool isPrivate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        var info = new FileInfo(file);
        if (!info.Exists) throw new FileNotFoundException($"key file '{file}' does not exist", file);
        if (info.Length > MaxKeyFileBytes) throw new InvalidDataException($"key file '{file}' is {info.Length} bytes, more than a key's {MaxKeyFileBytes}");
        var pem = File.ReadAllText(file);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var parameters = key.ExportParameters(false);
            if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new InvalidDataException($"key file '{file}' is not a P-256 key");
            if (isPrivate && !pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
                throw new InvalidDataException($"key file '{file}' holds a public key; signing needs NAME.key");
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidDataException($"key file '{file}' is not a PEM P-256 {(isPrivate ? "private" : "public")} key: {e.Message}");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
