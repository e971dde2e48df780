namespace AdaMec.Runtime.Atoms;

/// <summary>
/// A device's verified atom weight files, one file per content hash (<c>SHA-256.amw</c>), kept as a
/// least-recently-used cache under a size limit. A file is "used" when it is written or loaded
/// (its last-write time records that, so the order survives restarts). Pruning runs after each
/// write and never deletes a file held by a resident atom (<see cref="Hold"/>).
/// Thread-safe: atom grains of one device share it.
/// </summary>
public sealed class WeightFileCache
{
    private const string Extension = ".amw";
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _held = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    /// <param name="directory">The cache folder (created when missing).</param>
    /// <param name="limitBytes">Total size the cache prunes down to (&gt; 0).</param>
    /// <param name="time">The clock that stamps uses (tests pass a fake one).</param>
    public WeightFileCache(string directory, long limitBytes, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        Directory = directory;
        LimitBytes = limitBytes;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>The size limit, bytes.</summary>
    public long LimitBytes { get; }

    /// <summary>The file that holds (or would hold) the weights with this content hash.</summary>
    public string PathOf(string sha256)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sha256);
        if (!sha256.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"'{sha256}' is not a hex SHA-256", nameof(sha256));
        return Path.Combine(Directory, sha256.ToLowerInvariant() + Extension);
    }

    /// <summary>The cached bytes of this hash, or null; a hit counts as a use. The caller verifies them.</summary>
    public async Task<byte[]?> TryReadAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var path = PathOf(sha256);
        try
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            Touch(path);
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The cached bytes of this hash when the file has the size the spec says, or null when there is
    /// none; a hit counts as a use. The caller verifies the content. The size is checked before the file
    /// is read: a damaged (or planted) file of any size must not become an allocation of that size.
    /// </summary>
    /// <exception cref="InvalidDataException">The cached file is not <paramref name="expectedBytes"/> long (the message says both sizes).</exception>
    public async Task<byte[]?> TryReadAsync(string sha256, long expectedBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedBytes);
        var file = new FileInfo(PathOf(sha256));
        if (!file.Exists) return null;
        if (file.Length != expectedBytes)
            throw new InvalidDataException($"cached weights file {file.Name} has {file.Length:N0} bytes, the spec says {expectedBytes:N0}");
        return await TryReadAsync(sha256, cancellationToken);
    }

    /// <summary>Stores verified weights under their hash (atomically: a temporary file moved in place), then prunes.</summary>
    public async Task<IReadOnlyList<string>> WriteAsync(string sha256, byte[] weights, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var path = PathOf(sha256);
        System.IO.Directory.CreateDirectory(Directory);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await File.WriteAllBytesAsync(temporary, weights, cancellationToken);
        File.Move(temporary, path, overwrite: true);
        Touch(path);
        return Prune();
    }

    /// <summary>Forgets a damaged entry (unless a resident atom holds it).</summary>
    public void Remove(string sha256)
    {
        var path = PathOf(sha256);
        lock (_gate)
        {
            if (_held.ContainsKey(Path.GetFileNameWithoutExtension(path))) return;
            File.Delete(path);
        }
    }

    /// <summary>A resident atom uses this file: pruning keeps it until every holder has released it.</summary>
    public void Hold(string sha256)
    {
        var key = Path.GetFileNameWithoutExtension(PathOf(sha256));
        lock (_gate) _held[key] = _held.GetValueOrDefault(key) + 1;
    }

    /// <summary>Ends one <see cref="Hold"/> (idempotent per holder count).</summary>
    public void Release(string sha256)
    {
        var key = Path.GetFileNameWithoutExtension(PathOf(sha256));
        lock (_gate)
        {
            if (!_held.TryGetValue(key, out var count)) return;
            if (count <= 1) _held.Remove(key);
            else _held[key] = count - 1;
        }
    }

    /// <summary>Total bytes of the cached weight files.</summary>
    public long SizeBytes => Files().Sum(f => f.Length);

    /// <summary>Deletes least recently used files not held by a resident atom until the cache fits its limit; returns the hashes deleted.</summary>
    public IReadOnlyList<string> Prune()
    {
        var deleted = new List<string>();
        lock (_gate)
        {
            var files = Files().OrderBy(f => f.LastWriteTimeUtc).ToList();
            var total = files.Sum(f => f.Length);
            foreach (var file in files)
            {
                if (total <= LimitBytes) break;
                var key = Path.GetFileNameWithoutExtension(file.Name);
                if (_held.ContainsKey(key)) continue;
                var length = file.Length;
                try
                {
                    file.Delete();
                }
                catch (IOException)
                {
                    continue; // another process may have it open; try again after the next write
                }
                total -= length;
                deleted.Add(key);
            }
        }
        return deleted;
    }

    private void Touch(string path)
    {
        try { File.SetLastWriteTimeUtc(path, _time.GetUtcNow().UtcDateTime); }
        catch (IOException) { /* a file pruned meanwhile: nothing to stamp */ }
    }

    private IEnumerable<FileInfo> Files()
    {
        var directory = new DirectoryInfo(Directory);
        return directory.Exists ? directory.EnumerateFiles("*" + Extension) : [];
    }
}
