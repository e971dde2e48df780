using System.Text.Json;
using AdaMec.Core.Atoms;
using AdaMec.Core.Graph;
using AdaMec.Core.Serialization;
using AdaMec.Grains;
using AdaMec.Interfaces;
using Microsoft.Extensions.DependencyInjection;

namespace AdaMec.Cluster.Tests;

/// <summary>
/// Atom signing (a key pair generated per run): a silo with --trusted-keys refuses unsigned and
/// tampered atoms with an error naming the atom, before it pulls any weights.
/// </summary>
public sealed class AtomSigningTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("adamec-signing-").FullName;

    private static AtomSpec Spec(int index) => new()
    {
        Id = $"toy.a{index}", Index = index, Operators = ["relu"], Flops = 10, Macs = 5, WeightBytes = 0, MemoryBytes = 64,
        InputShape = new TensorShape([1, 4]), InputBytes = 16, OutputShape = new TensorShape([1, 4]), OutputBytes = 16, PredictedMs = 0.1,
        Sha256 = new string('a', 64), File = $"a{index:00}.amw", FileBytes = 32,
        Nodes = [new OperatorNode(index, "relu", OperatorKind.ReLU, [OperatorNode.GraphInput], [new TensorShape([1, 4])], new TensorShape([1, 4]), OperatorAttributes.None, 0, 4, 0)],
    };

    private (string Key, string Pub) KeyPair(string name) => AtomSigning.GenerateKeyPair(Path.Combine(_root, name));

    private static AtomSpec Sign(AtomSpec spec, string keyFile)
    {
        using var key = AtomSigning.LoadKey(keyFile, isPrivate: true);
        return spec with { Signature = Convert.ToBase64String(key.SignData(AtomSigning.SignedBytes(spec), System.Security.Cryptography.HashAlgorithmName.SHA256)) };
    }

    [Fact]
    public void Verify_SignedThenTamperedOrOtherKey_OnlyTheUntouchedSpecVerifies()
    {
        var (key, pub) = KeyPair("mine");
        var (_, otherPub) = KeyPair("other");
        using var trusted = AtomSigning.LoadKey(pub, isPrivate: false);
        using var other = AtomSigning.LoadKey(otherPub, isPrivate: false);
        var signed = Sign(Spec(0), key);

        Assert.True(AtomSigning.Verify(signed, [trusted]));
        Assert.False(AtomSigning.Verify(signed with { Sha256 = new string('b', 64) }, [trusted]));
        Assert.False(AtomSigning.Verify(signed with { MemoryBytes = 1 }, [trusted]));
        Assert.False(AtomSigning.Verify(signed, [other]));
        Assert.False(AtomSigning.Verify(Spec(0), [trusted]));
        // The silo receives the spec as JSON: a round trip keeps the signature valid.
        var received = JsonSerializer.Deserialize<AtomSpec>(JsonSerializer.Serialize(signed, AdaMecJson.Compact), AdaMecJson.Options)!;
        Assert.True(AtomSigning.Verify(received, [trusted]));
    }

    [Fact]
    public async Task AtomGrain_TrustedKeysConfigured_RefusesUnsignedAndTamperedNamingTheAtom()
    {
        var (key, pub) = KeyPair("cluster-signer");
        var settings = new Dictionary<string, string?> { ["Security:TrustedKeys:0"] = pub };
        await using var cluster = await DevCluster.StartAsync([new DevSilo("strict", settings)], Path.Combine(_root, "cache"), "signing-" + Guid.NewGuid().ToString("N")[..8]);
        var grains = cluster.Services("strict").GetRequiredService<IGrainFactory>();
        var atom = grains.GetGrain<IAtomGrain>(GrainKeys.Atom("phone/toy", 0, "strict"));

        var unsigned = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(new AtomLoadRequest(JsonSerializer.Serialize(Spec(0), AdaMecJson.Compact), "phone", null!, null)));
        Assert.Equal(AdaMecErrorCode.AtomUntrusted, unsigned.Code);
        Assert.Contains("atom phone/toy/0@strict (toy.a0) is not signed", unsigned.Message);

        var tampered = Sign(Spec(0), key) with { Sha256 = new string('c', 64) };
        var refused = await Assert.ThrowsAsync<AdaMecException>(() => atom.LoadAsync(new AtomLoadRequest(JsonSerializer.Serialize(tampered, AdaMecJson.Compact), "phone", null!, null)));
        Assert.Equal(AdaMecErrorCode.AtomUntrusted, refused.Code);
        Assert.Contains("signature does not verify", refused.Message);
    }

    [Fact]
    public async Task Silo_TrustedKeyThatIsNotAKey_RefusedAtBuild()
    {
        var file = Path.Combine(_root, "junk.pub");
        File.WriteAllText(file, "not a key");

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            DevCluster.StartAsync([new DevSilo("solo", new Dictionary<string, string?> { ["Security:TrustedKeys:0"] = file })], Path.Combine(_root, "cache2")));
        Assert.Contains("Security:TrustedKeys", error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
