using System.Security.Cryptography;
using AdaMec.Runtime.Atoms;
using Microsoft.Extensions.Time.Testing;

namespace AdaMec.Runtime.Tests.Atoms;

public sealed class WeightFileCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "adamec-cache-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private WeightFileCache Cache(long limitBytes) => new(_directory, limitBytes, _clock);

    private static (string Sha, byte[] Bytes) Weights(int size, byte fill)
    {
        var bytes = Enumerable.Repeat(fill, size).ToArray();
        return (Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
    }

    private async Task<string> WriteAsync(WeightFileCache cache, int size, byte fill)
    {
        var (sha, bytes) = Weights(size, fill);
        await cache.WriteAsync(sha, bytes);
        _clock.Advance(TimeSpan.FromMinutes(1));
        return sha;
    }

    [Fact]
    public async Task WriteAsync_OverTheLimit_DeletesTheLeastRecentlyUsedFirst()
    {
        var cache = Cache(limitBytes: 300);
        var a = await WriteAsync(cache, 100, 1);
        var b = await WriteAsync(cache, 100, 2);
        var c = await WriteAsync(cache, 100, 3);
        Assert.NotNull(await cache.TryReadAsync(a)); // a is now more recent than b
        _clock.Advance(TimeSpan.FromMinutes(1));

        var d = Weights(100, 4);
        var pruned = await cache.WriteAsync(d.Sha, d.Bytes);

        Assert.Equal([b], pruned);
        Assert.False(File.Exists(cache.PathOf(b)));
        Assert.All(new[] { a, c, d.Sha }, sha => Assert.True(File.Exists(cache.PathOf(sha))));
        Assert.Equal(300, cache.SizeBytes);
    }

    [Fact]
    public async Task Prune_HeldFiles_AreNeverDeletedEvenOverTheLimit()
    {
        var cache = Cache(limitBytes: 150);
        var a = await WriteAsync(cache, 100, 1);
        cache.Hold(a);
        var b = Weights(100, 2);
        cache.Hold(b.Sha); // as an atom does: hold, then write
        Assert.Empty(await cache.WriteAsync(b.Sha, b.Bytes));
        _clock.Advance(TimeSpan.FromMinutes(1));

        var c = Weights(100, 3);
        var pruned = await cache.WriteAsync(c.Sha, c.Bytes);

        Assert.Equal([c.Sha], pruned); // the only file no resident atom holds
        Assert.True(File.Exists(cache.PathOf(a)));
        Assert.True(File.Exists(cache.PathOf(b.Sha)));
        Assert.Equal(200, cache.SizeBytes);
    }

    [Fact]
    public async Task Release_LastHolder_FileCanBePrunedAgain()
    {
        var cache = Cache(limitBytes: 100);
        var a = await WriteAsync(cache, 100, 1);
        cache.Hold(a);
        cache.Hold(a);
        cache.Release(a);

        var b = Weights(100, 2);
        cache.Hold(b.Sha);
        Assert.Empty(await cache.WriteAsync(b.Sha, b.Bytes));
        cache.Release(a);

        Assert.Equal([a], cache.Prune());
        Assert.False(File.Exists(cache.PathOf(a)));
    }

    [Fact]
    public async Task TryReadAsync_Missing_ReturnsNull()
    {
        var cache = Cache(limitBytes: 100);

        Assert.Null(await cache.TryReadAsync(Weights(1, 1).Sha));
    }

    [Fact]
    public async Task TryReadAsync_FileOfAnotherSizeThanTheSpec_RefusedNamingBothSizes()
    {
        var cache = Cache(limitBytes: 1000);
        var (sha, bytes) = Weights(100, 7);
        await cache.WriteAsync(sha, bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => cache.TryReadAsync(sha, expectedBytes: 64));

        Assert.Contains("100 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await cache.TryReadAsync(sha, expectedBytes: 100));
        Assert.Null(await cache.TryReadAsync(Weights(3, 3).Sha, expectedBytes: 3));
    }

    [Fact]
    public void PathOf_NotHex_RefusesNamingTheValue()
    {
        var cache = Cache(limitBytes: 100);

        var error = Assert.Throws<ArgumentException>(() => cache.PathOf("../etc/passwd"));

        Assert.Contains("../etc/passwd", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
