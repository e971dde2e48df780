using System.ComponentModel.DataAnnotations;
using AdaMec.Core.Atoms;

namespace AdaMec.Grains;

/// <summary>
/// Bounds on what a caller may ask an atom grain for: every byte count in an atom spec or a forward
/// request is checked against these before anything is allocated from it. Section "Limits";
/// docs/security.md lists them.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Limits";

    /// <summary>Largest weights file of one atom this device pulls and holds, bytes (1 KiB to 2,147,483,591, the largest .NET array).</summary>
    /// <value>The default value is 1 GiB (VGG16's largest atom is ~411 MB).</value>
    [Range(1024, AtomLimits.MaxArrayBytes)]
    public long MaxAtomFileBytes { get; set; } = AtomLimits.Default.MaxFileBytes;

    /// <summary>Largest input or output tensor of one atom, bytes (1 KiB to 2,147,483,591). Tensors also must fit one message (MaxMessageBodySize).</summary>
    /// <value>The default value is 256 MiB.</value>
    [Range(1024, AtomLimits.MaxArrayBytes)]
    public long MaxTensorBytes { get; set; } = AtomLimits.Default.MaxTensorBytes;

    /// <summary>Most operators in one atom (1 to 1,000,000).</summary>
    /// <value>The default value is 10,000.</value>
    [Range(1, 1_000_000)]
    public int MaxOperatorsPerAtom { get; set; } = AtomLimits.Default.MaxOperators;

    /// <summary>Most dimensions of one tensor shape (1 to 32).</summary>
    /// <value>The default value is 8.</value>
    [Range(1, 32)]
    public int MaxRank { get; set; } = AtomLimits.Default.MaxRank;

    /// <summary>Longest atom spec JSON a load request may carry, characters (1,024 to 268,435,456).</summary>
    /// <value>The default value is 16 MiB characters (a ResNet-50 atom's spec is a few KB).</value>
    [Range(1024, 268_435_456)]
    public int MaxSpecJsonChars { get; set; } = 16 << 20;

    /// <summary>Most devices a forward request's route may list, and atoms its history may name (1 to 100,000).</summary>
    /// <value>The default value is 4,096.</value>
    [Range(1, 100_000)]
    public int MaxRouteLength { get; set; } = 4096;

    /// <summary>Longest deployment or device id in a request, characters (1 to 4,096).</summary>
    /// <value>The default value is 256.</value>
    [Range(1, 4096)]
    public int MaxIdLength { get; set; } = 256;

    /// <summary>The spec bounds these options set.</summary>
    public AtomLimits ToAtomLimits() => new(MaxAtomFileBytes, MaxTensorBytes, MaxOperatorsPerAtom, MaxRank);
}
