using System.Globalization;

namespace AdaMec.Interfaces.Security;

/// <summary>
/// The credential a grain call carries, in the request context under <see cref="Header"/>:
/// "v1 ROLE NAME UNIXMS NONCE MAC", where MAC is the HMAC-SHA256 (base64) of role, name, time, nonce,
/// target grain, interface and method under the caller's credential. Bound to the call's target and
/// method and to a time window; it does not cover the arguments (docs/security.md).
/// </summary>
public static class CallSignature
{
    /// <summary>Request-context key of the signature.</summary>
    public const string Header = "adamec.auth";

    /// <summary>Longest header accepted, characters (a real one is under 200).</summary>
    public const int MaxHeaderLength = 512;

    /// <summary>The signature of one call made now.</summary>
    public static string Create(ClusterCredential credential, string target, string interfaceName, string method, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var time = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var role = ClusterCredential.Lower(credential.Role);
        var mac = credential.Mac(Message(role, credential.Name, time, nonce, target, interfaceName, method));
        return $"v1 {role} {credential.Name} {time} {nonce} {Convert.ToBase64String(mac)}";
    }

    /// <summary>
    /// Checks <paramref name="header"/> against <paramref name="clusterKey"/> for this call; returns the
    /// caller's role and name, or a reason it is refused.
    /// </summary>
    public static SignatureCheck Verify(ClusterCredential clusterKey, object? header, string target, string interfaceName, string method, DateTimeOffset now, TimeSpan maxSkew)
    {
        ArgumentNullException.ThrowIfNull(clusterKey);
        if (header is null) return SignatureCheck.Refused("the call carries no cluster credential");
        if (header is not string text || text.Length > MaxHeaderLength) return SignatureCheck.Refused("the call's credential header is malformed");
        var parts = text.Split(' ');
        if (parts.Length != 6 || parts[0] != "v1") return SignatureCheck.Refused("the call's credential header is malformed");
        var (roleText, name, time, nonce, macText) = (parts[1], parts[2], parts[3], parts[4], parts[5]);
        if (!TryRole(roleText, out var role)) return SignatureCheck.Refused($"unknown role '{Truncate(roleText)}'");
        if (!long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var unixMs)) return SignatureCheck.Refused("the call's credential header is malformed");
        var skew = Math.Abs((double)(now.ToUnixTimeMilliseconds() - unixMs));
        if (skew > maxSkew.TotalMilliseconds)
            return SignatureCheck.Refused(string.Create(CultureInfo.InvariantCulture, $"the call's signature is {skew / 1000:0} s away from this silo's clock (allowed {maxSkew.TotalSeconds:0} s)"));
        Span<byte> mac = stackalloc byte[64];
        if (!Convert.TryFromBase64String(macText, mac, out var macLength) || macLength != 32) return SignatureCheck.Refused("the call's credential header is malformed");
        if (!clusterKey.Verify(role, name, Message(roleText, name, time, nonce, target, interfaceName, method), mac[..macLength]))
            return SignatureCheck.Refused($"the signature of {roleText} '{Truncate(name)}' does not verify against this cluster's key");
        return new SignatureCheck(true, role, name, null);
    }

    private static bool TryRole(string text, out ClusterRole role)
    {
        foreach (var candidate in Enum.GetValues<ClusterRole>())
        {
            if (ClusterCredential.Lower(candidate) == text)
            {
                role = candidate;
                return true;
            }
        }
        role = default;
        return false;
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private static string Message(string role, string name, string time, string nonce, string target, string interfaceName, string method) =>
        $"{role}\n{name}\n{time}\n{nonce}\n{target}\n{interfaceName}\n{method}";
}

/// <summary>The outcome of <see cref="CallSignature.Verify"/>.</summary>
/// <param name="Valid">Whether the signature verified.</param>
/// <param name="Role">The caller's role (valid only).</param>
/// <param name="Name">The caller's name (valid only).</param>
/// <param name="Reason">Why it was refused (refused only).</param>
public readonly record struct SignatureCheck(bool Valid, ClusterRole Role, string? Name, string? Reason)
{
    /// <summary>A refusal for <paramref name="reason"/>.</summary>
    public static SignatureCheck Refused(string reason) => new(false, default, null, reason);
}
