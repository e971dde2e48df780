using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AdaMec.Interfaces.Security;

/// <summary>
/// A cluster credential: a role, a name and a 32-byte key. The cluster key (role silo) is random;
/// every other credential's key is derived from it (HMAC-SHA256 over role and name), so a silo that
/// holds the cluster key verifies any credential without a list, and an initiator's credential cannot
/// be turned into an operator's or another initiator's. Files are JSON, written owner-read-only.
/// </summary>
public sealed partial class ClusterCredential
{
    /// <summary>The "format" field of a credential file.</summary>
    public const string Format = "adamec-cluster-credential/1";

    /// <summary>Key length, bytes.</summary>
    public const int KeyBytes = 32;

    /// <summary>Largest credential file read, bytes (a credential is under 300).</summary>
    public const int MaxFileBytes = 4096;

    private readonly byte[] _key;

    private ClusterCredential(ClusterRole role, string name, byte[] key)
    {
        Role = role;
        Name = name;
        _key = key;
    }

    /// <summary>The role this credential acts in.</summary>
    public ClusterRole Role { get; }

    /// <summary>Who holds it: an initiator's device id, an operator's name, "cluster" for the cluster key.</summary>
    public string Name { get; }

    /// <summary>The name of the cluster key's own credential.</summary>
    public const string ClusterName = "cluster";

    /// <summary>A new random cluster key (role silo).</summary>
    public static ClusterCredential NewClusterKey() => new(ClusterRole.Silo, ClusterName, RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>
    /// The credential of <paramref name="role"/> named <paramref name="name"/>, derived from this cluster key.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not the cluster key.</exception>
    /// <exception cref="ArgumentException">The name is not 1 to 63 letters, digits, '_', '.', '-' (starting with a letter or digit), or the role is silo.</exception>
    public ClusterCredential Derive(ClusterRole role, string name)
    {
        if (Role != ClusterRole.Silo) throw new InvalidOperationException("only the cluster key (role silo) derives credentials");
        if (role == ClusterRole.Silo) throw new ArgumentException("a silo uses the cluster key itself", nameof(role));
        CheckName(name, nameof(name));
        return new ClusterCredential(role, name, DeriveKey(role, name));
    }

    /// <summary>The key a credential of <paramref name="role"/> and <paramref name="name"/> holds (this must be the cluster key).</summary>
    internal byte[] DeriveKey(ClusterRole role, string name) =>
        role == ClusterRole.Silo ? _key : HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"adamec/v1/{Lower(role)}/{name}"));

    /// <summary>HMAC-SHA256 of <paramref name="message"/> under this credential's key.</summary>
    internal byte[] Mac(string message) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(message));

    /// <summary>Whether <paramref name="mac"/> is the MAC of <paramref name="message"/> by the credential (role, name) of this cluster key; constant time.</summary>
    internal bool Verify(ClusterRole role, string name, string message, ReadOnlySpan<byte> mac)
    {
        var expected = HMACSHA256.HashData(DeriveKey(role, name), Encoding.UTF8.GetBytes(message));
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>Writes the credential to <paramref name="path"/>, readable by its owner only (refuses to overwrite).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var json = new JsonObject
        {
            ["format"] = Format,
            ["role"] = Lower(Role),
            ["name"] = Name,
            ["key"] = Convert.ToBase64String(_key),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(json + "\n"));
    }

    /// <summary>Reads a credential file.</summary>
    /// <exception cref="InvalidDataException">The file is not a credential; the message names the field.</exception>
    public static ClusterCredential Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"cluster key file '{path}' does not exist", path);
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"cluster key file '{path}' is {info.Length} bytes, more than a credential's {MaxFileBytes}");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses credential JSON; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not a credential; the message names the field.</exception>
    public static ClusterCredential Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            // Duplicate fields are refused while parsing (a JsonObject would otherwise throw ArgumentException on first access).
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false }) as JsonObject
                ?? throw new InvalidDataException($"{source}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not JSON ({e.Message})");
        }
        var format = Text(root, "format", source);
        if (format != Format) throw new InvalidDataException($"{source}: field 'format' is '{format}', expected '{Format}'");
        var roleText = Text(root, "role", source);
        if (!Enum.TryParse<ClusterRole>(roleText, ignoreCase: true, out var role) || !Enum.IsDefined(role) || roleText.Any(char.IsDigit))
            throw new InvalidDataException($"{source}: field 'role' is '{roleText}', expected silo, operator or initiator");
        var name = Text(root, "name", source);
        if (!NamePattern().IsMatch(name)) throw new InvalidDataException($"{source}: field 'name' '{name}' is not 1 to 63 letters, digits, '_', '.', '-'");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(Text(root, "key", source));
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{source}: field 'key' is not base64");
        }
        if (key.Length != KeyBytes) throw new InvalidDataException($"{source}: field 'key' is {key.Length} bytes, expected {KeyBytes}");
        return new ClusterCredential(role, name, key);
    }

    private static string Text(JsonObject root, string field, string source) =>
        root[field] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new InvalidDataException($"{source}: field '{field}' is missing or not a string");

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="name"/> cannot name a credential.</summary>
    public static void CheckName(string? name, string field)
    {
        if (name is null || !NamePattern().IsMatch(name))
            throw new ArgumentException($"{field} '{name}' is not 1 to 63 letters, digits, '_', '.', '-' starting with a letter or digit", field);
    }

    /// <summary>The role as written in files and headers.</summary>
    public static string Lower(ClusterRole role) => role.ToString().ToLower(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex NamePattern();
}
