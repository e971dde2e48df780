using System.Text;
using System.Text.Json.Nodes;
using AdaMec.Interfaces.Security;
using AdaMec.Runtime.Atoms;

namespace AdaMec.Bench.Fuzz;

/// <summary>
/// The valid inputs mutations start from. Text formats are real files kept in corpus/ (embedded): a
/// partitioned AlexNet's manifest.json and three of its atom specs, the design planning file, five scenario traces, the head
/// of the profiled samples, a silo configuration. Weights files and credentials are written by their
/// real writers here (a weights file is binary and large; a credential must not sit in the repository).
/// </summary>
public static class FuzzCorpus
{
    /// <summary>The embedded files under corpus/<paramref name="folder"/>/, in name order.</summary>
    public static IReadOnlyList<byte[]> Files(string folder)
    {
        var assembly = typeof(FuzzCorpus).Assembly;
        var names = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith($"corpus/{folder}/", StringComparison.Ordinal) || n.StartsWith($"corpus\\{folder}\\", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        if (names.Length == 0) throw new InvalidOperationException($"no corpus files under corpus/{folder}/ in {assembly.GetName().Name}");
        return names.Select(n =>
        {
            using var stream = assembly.GetManifestResourceStream(n)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }).ToArray();
    }

    /// <summary>Small AMW1 files as <see cref="WeightsFile.Write"/> writes them: a conv layer's weights and bias, a scalar, none.</summary>
    public static IReadOnlyList<byte[]> WeightsFiles()
    {
        var random = new Random(20231001);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        WeightsFile.Entry[][] files =
        [
            [new("features.0.weight", [4, 3, 3, 3], Values(108)), new("features.0.bias", [4], Values(4))],
            [new("classifier.1.weight", [10, 16], Values(160)), new("classifier.1.bias", [10], Values(10)), new("scale", [], Values(1))],
            [],
        ];
        var temp = Path.Combine(Path.GetTempPath(), $"adamec-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}.amw");
        try
        {
            return files.Select(entries =>
            {
                WeightsFile.Write(temp, entries);
                return File.ReadAllBytes(temp);
            }).ToArray();
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>A cluster key and an initiator credential in the file format, from fixed (not secret) bytes.</summary>
    public static IReadOnlyList<byte[]> Credentials()
    {
        static byte[] File(string role, string name, byte fill) => Encoding.UTF8.GetBytes(new JsonObject
        {
            ["format"] = ClusterCredential.Format,
            ["role"] = role,
            ["name"] = name,
            ["key"] = Convert.ToBase64String(Enumerable.Repeat(fill, ClusterCredential.KeyBytes).ToArray()),
        }.ToJsonString() + "\n");
        return [File("silo", ClusterCredential.ClusterName, 7), File("initiator", "phone-42", 9)];
    }
}
