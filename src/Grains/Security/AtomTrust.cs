using System.Security.Cryptography;
using AdaMec.Core.Atoms;
using AdaMec.Interfaces;

namespace AdaMec.Grains.Security;

/// <summary>
/// The public keys whose atom signatures this silo accepts (Security:TrustedKeys, `--trusted-keys`).
/// Registered only when keys are configured; an atom grain asks it before pulling any weights.
/// </summary>
public sealed class AtomTrust : IDisposable
{
    private readonly ECDsa[] _keys;

    /// <summary>Loads the keys now (a silo must not start trusting nothing by mistake).</summary>
    /// <exception cref="InvalidDataException">A file is not a P-256 public key.</exception>
    public AtomTrust(IEnumerable<string> publicKeyFiles)
    {
        ArgumentNullException.ThrowIfNull(publicKeyFiles);
        _keys = publicKeyFiles.Select(f => AtomSigning.LoadKey(f, isPrivate: false)).ToArray();
        if (_keys.Length == 0) throw new ArgumentException("no trusted keys given", nameof(publicKeyFiles));
    }

    /// <summary>Throws <see cref="AdaMecException"/> (AtomUntrusted) naming <paramref name="atomKey"/> unless its spec carries a signature by a trusted key.</summary>
    public void Check(AtomSpec spec, string atomKey)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Signature is null)
            throw new AdaMecException(AdaMecErrorCode.AtomUntrusted, $"atom {atomKey} ({spec.Id}) is not signed; this device only loads atoms signed by its trusted keys (adamec sign)");
        if (!AtomSigning.Verify(spec, _keys))
            throw new AdaMecException(AdaMecErrorCode.AtomUntrusted, $"atom {atomKey} ({spec.Id}): the signature does not verify against this device's trusted keys (tampered spec or weights hash, or signed by another key)");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var key in _keys) key.Dispose();
    }
}
