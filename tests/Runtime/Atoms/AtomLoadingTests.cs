using AdaMec.Core.Atoms;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Runtime.Tests.Atoms;

[Collection(SharedPartitions.Name)]
public sealed class AtomLoadingTests(PartitionedModels models)
{
    [Fact]
    public void Load_SingleAtom_RunsWithoutTheRestOfTheModel()
    {
        var (directory, manifest) = models.Get("mobilenet_v2");
        var atom = manifest.Atoms[1];

        using var module = AtomLoader.Load(directory, atom);
        var output = AtomChain.RunAtom(module, atom, new byte[atom.InputBytes]);

        Assert.Equal(atom.OutputBytes, output.Length);
    }

    [Fact]
    public void Load_TruncatedFile_NamesAtomAndTruncation()
    {
        var directory = models.CopyOf("alexnet");
        var atom = AtomManifest.Load(directory).Atoms[2];
        var path = Path.Combine(directory, atom.File);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^100]);

        var error = Assert.Throws<AtomFileException>(() => AtomLoader.Load(directory, atom));

        Assert.Equal(atom.Id, error.AtomId);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FlippedByte_ReportsShaMismatch()
    {
        var directory = models.CopyOf("alexnet");
        var atom = AtomManifest.Load(directory).Atoms[1];
        var path = Path.Combine(directory, atom.File);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<AtomFileException>(() => AtomLoader.Load(directory, atom));

        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Contains(atom.Id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AnotherAtomsFileUnderThisName_Fails()
    {
        var directory = models.CopyOf("alexnet");
        var atoms = AtomManifest.Load(directory).Atoms;
        File.Copy(Path.Combine(directory, atoms[3].File), Path.Combine(directory, atoms[2].File), overwrite: true);

        var error = Assert.Throws<AtomFileException>(() => AtomLoader.Load(directory, atoms[2]));

        Assert.Equal(atoms[2].Id, error.AtomId);
    }

    [Fact]
    public void Load_ManifestTamperedToMatchWrongFile_FailsOnTensorNamesOrShapes()
    {
        var directory = models.CopyOf("alexnet");
        var manifest = AtomManifest.Load(directory);
        var victim = manifest.Atoms[2];
        var donor = manifest.Atoms[3];
        // The file passes the integrity check (size and hash updated) but holds another atom's tensors.
        var forged = victim with { File = donor.File, Sha256 = donor.Sha256, FileBytes = donor.FileBytes };

        var error = Assert.Throws<AtomFileException>(() => AtomLoader.Load(directory, forged));

        Assert.Matches("lack|unexpected|shape", error.Problem);
    }

    [Fact]
    public void Load_MissingFile_SaysMissing()
    {
        var directory = models.CopyOf("alexnet");
        var atom = AtomManifest.Load(directory).Atoms[0];
        File.Delete(Path.Combine(directory, atom.File));

        var error = Assert.Throws<AtomFileException>(() => AtomLoader.Load(directory, atom));

        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadManifest_CorruptJson_ClearError()
    {
        var directory = models.CopyOf("alexnet");
        File.WriteAllText(Path.Combine(directory, AtomManifest.FileName), "{ \"model\": \"alexnet\", \"atoms\": [ { \"id\": ");

        var error = Assert.Throws<AtomFileException>(() => AtomManifest.Load(directory));

        Assert.Contains("not a valid manifest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadManifest_BrokenChainShapes_NamesAtom()
    {
        var directory = models.CopyOf("alexnet");
        var manifest = AtomManifest.Load(directory);
        var atoms = manifest.Atoms.ToArray();
        atoms[2] = atoms[2] with { InputShape = new Core.Graph.TensorShape(1, 7, 7, 7) };
        (manifest with { Atoms = atoms }).Save(directory);

        var error = Assert.Throws<AtomFileException>(() => AtomManifest.Load(directory));

        Assert.Equal(atoms[2].Id, error.AtomId);
    }

    [Fact]
    public void RunAtom_WrongInputSize_ThrowsWithExpectedShape()
    {
        var (directory, manifest) = models.Get("alexnet");
        var atom = manifest.Atoms[0];
        using var module = AtomLoader.Load(directory, atom);

        var error = Assert.Throws<ArgumentException>(() => AtomChain.RunAtom(module, atom, new byte[1000]));

        Assert.Contains(atom.InputShape.ToString(), error.Message, StringComparison.Ordinal);
    }
}
