namespace AdaMec.Core.Atoms;

/// <summary>
/// Upper bounds on what one atom spec may ask for. A spec arrives from a manifest or over the wire;
/// every byte count in it decides an allocation somewhere (a weights buffer, a tensor), so each is
/// checked against these before anything is allocated. Silos take them from configuration (section
/// "Limits", <c>LimitsOptions</c>); tools that read a manifest use <see cref="Default"/>.
/// </summary>
/// <param name="MaxFileBytes">Largest weights (or ONNX) file of one atom, bytes. A .NET array holds under 2 GiB.</param>
/// <param name="MaxTensorBytes">Largest input or output tensor of one atom, bytes.</param>
/// <param name="MaxOperators">Most operators in one atom.</param>
/// <param name="MaxRank">Most dimensions of one tensor shape.</param>
public sealed record AtomLimits(long MaxFileBytes, long MaxTensorBytes, int MaxOperators, int MaxRank)
{
    /// <summary>Largest length of an atom id or an operator name (characters).</summary>
    public const int MaxNameLength = 512;

    /// <summary>Largest signature field (characters); a base64 P-256 signature is 88.</summary>
    public const int MaxSignatureLength = 1024;

    /// <summary>Largest weights file any limit may allow: the largest byte array .NET allocates.</summary>
    public const long MaxArrayBytes = 0x7FFFFFC7;

    /// <summary>1 GiB per weights file (VGG16's largest atom is ~411 MB), 256 MiB per tensor, 10,000 operators, rank 8.</summary>
    public static AtomLimits Default { get; } = new(1L << 30, 256L << 20, 10_000, 8);
}
