using System.Globalization;

namespace AdaMec.Interfaces;

/// <summary>
/// Checks a payload against the message size limit before it is sent: Orleans answers an oversized
/// message only with a timeout on the caller's side, so it must never be sent.
/// </summary>
public static class TensorSizeGuard
{
    /// <summary>Room left for the rest of the message (headers, keys, route).</summary>
    public const int EnvelopeBytes = 64 * 1024;

    /// <summary>Throws <see cref="AdaMecException"/> (TensorTooLarge) when <paramref name="bytes"/> cannot travel in one message.</summary>
    public static void Check(long bytes, int maxMessageBodySize, string what)
    {
        var limit = (long)maxMessageBodySize - EnvelopeBytes;
        if (bytes > limit)
            throw new AdaMecException(AdaMecErrorCode.TensorTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"{what} is {bytes:N0} bytes, over the {limit:N0}-byte limit for one message (MaxMessageBodySize {maxMessageBodySize:N0} less {EnvelopeBytes:N0} for the envelope); not sent. Keep this boundary on one device or raise MaxMessageBodySize on silos and clients."));
    }
}
