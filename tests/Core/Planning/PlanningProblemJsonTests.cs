using System.Text.Json.Nodes;
using AdaMec.Core.Planning;

namespace AdaMec.Core.Tests.Planning;

public sealed class PlanningProblemJsonTests
{
    [Fact]
    public void Read_DesignExample_ParsesEveryField()
    {
        var problem = PlanningProblemJson.Read(PlanningTestData.DesignExample);

        Assert.Equal(602112, problem.InputBytes);
        Assert.Equal(120, problem.LatencyRequirementMs);
        Assert.Equal(["mobile", "edge1", "edge2"], problem.Devices.Select(d => d.Id));
        Assert.Equal("mobile", problem.Initiator.Id);
        Assert.Equal(150000000, problem.Devices[2].MemoryBudgetBytes);
        Assert.Null(problem.Devices[1].ComputeBudgetFlops);
        Assert.Equal(2, problem.Links.Count);
        Assert.Equal(3.1, problem.Atoms[0].LatencyMs["edge1"]);
        Assert.Equal([0], problem.Current);
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        var original = PlanningProblemGenerator.Generate(7, 6, 3);

        var copy = PlanningProblemJson.Read(PlanningProblemJson.Write(original));

        Assert.Equal(PlanningProblemJson.Write(original), PlanningProblemJson.Write(copy));
        Assert.Equal(original.Current, copy.Current);
    }

    [Fact]
    public void Read_NoCurrent_StartsEverythingOnTheInitiator()
    {
        var json = Mutate(root => root.Remove("current"));

        Assert.Equal([0], PlanningProblemJson.Read(json).Current);
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "missing top-level field", """{"op":"remove","path":"latencyRequirementMs"}""", "latencyRequirementMs: missing" },
        { "missing atom field", """{"op":"remove","path":"atoms[0].flops"}""", "atoms[0].flops: missing" },
        { "missing latency table", """{"op":"remove","path":"atoms[0].latencyMs"}""", "atoms[0].latencyMs: missing" },
        { "missing device latency", """{"op":"remove","path":"atoms[0].latencyMs.edge1"}""", "atoms[0].latencyMs.edge1: missing" },
        { "negative latency", """{"op":"set","path":"atoms[0].latencyMs.edge2","value":-1}""", "atoms[0].latencyMs.edge2: must be a finite number >= 0" },
        { "NaN as string", """{"op":"set","path":"atoms[0].weightBytes","value":"NaN"}""", "atoms[0].weightBytes: must be a finite number >= 0" },
        { "overflowing number", """{"op":"raw","path":"inputBytes","value":"1e999"}""", "inputBytes: must be a finite number >= 0" },
        { "wrong type", """{"op":"set","path":"atoms[0].outputBytes","value":true}""", "atoms[0].outputBytes: must be a number" },
        { "negative budget", """{"op":"set","path":"devices[2].memoryBudgetBytes","value":-5}""", "devices[2].memoryBudgetBytes: must be a finite number >= 0" },
        { "zero requirement", """{"op":"set","path":"latencyRequirementMs","value":0}""", "latencyRequirementMs: must be a finite number > 0" },
        { "unknown link source", """{"op":"set","path":"links[1].from","value":"edge9"}""", "links[1].from: unknown device 'edge9'" },
        { "unknown link target", """{"op":"set","path":"links[0].to","value":"edge9"}""", "links[0].to: unknown device 'edge9'" },
        { "zero bandwidth", """{"op":"set","path":"links[0].mbps","value":0}""", "links[0].mbps: must be a finite number > 0" },
        { "self link", """{"op":"set","path":"links[1].from","value":"mobile"}""", "links[1].to: a link must join two different devices" },
        { "unknown device in latency", """{"op":"set","path":"atoms[0].latencyMs.edge9","value":1}""", "atoms[0].latencyMs.edge9: unknown device 'edge9'" },
        { "unknown device in current", """{"op":"set","path":"current.a1","value":"edge9"}""", "current.a1: unknown device 'edge9'" },
        { "unknown atom in current", """{"op":"set","path":"current.a9","value":"mobile"}""", "current.a9: unknown atom 'a9'" },
        { "duplicate device id", """{"op":"set","path":"devices[2].id","value":"edge1"}""", "devices[2].id: duplicate id 'edge1'" },
        { "no initiator", """{"op":"set","path":"devices[0].initiator","value":false}""", "devices: no initiator" },
        { "two initiators", """{"op":"set","path":"devices[1].initiator","value":true}""", "devices[1].initiator: second initiator" },
        { "no atoms", """{"op":"set","path":"atoms","value":[]}""", "atoms: must list at least one atom" },
        { "devices not an array", """{"op":"set","path":"devices","value":{}}""", "devices: must be an array" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Read_InvalidInput_NamesTheField(string scenario, string edit, string expected)
    {
        var json = Apply(JsonNode.Parse(edit)!.AsObject());

        var error = Assert.Throws<PlanningProblemException>(() => PlanningProblemJson.Read(json));

        Assert.True(error.Message.StartsWith(expected, StringComparison.Ordinal), $"{scenario}: got '{error.Message}'");
    }

    [Fact]
    public void Read_DuplicateAtomId_NamesTheSecondAtom()
    {
        var json = Mutate(root =>
        {
            var atoms = root["atoms"]!.AsArray();
            atoms.Add(atoms[0]!.DeepClone());
        });

        var error = Assert.Throws<PlanningProblemException>(() => PlanningProblemJson.Read(json));

        Assert.Equal("atoms[1].id", error.Field);
        Assert.Contains("duplicate id 'a1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateLink_NamesTheSecondLink()
    {
        var json = Mutate(root =>
        {
            var links = root["links"]!.AsArray();
            links.Add(links[0]!.DeepClone());
        });

        var error = Assert.Throws<PlanningProblemException>(() => PlanningProblemJson.Read(json));

        Assert.Equal("links[2]", error.Field);
        Assert.Contains("duplicate link mobile -> edge1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotJson_SaysSo()
    {
        var error = Assert.Throws<PlanningProblemException>(() => PlanningProblemJson.Read("{ \"inputBytes\": NaN }"));

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    private static string Mutate(Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(PlanningTestData.DesignExample)!.AsObject();
        edit(root);
        return root.ToJsonString();
    }

    /// <summary>Applies one edit addressed by a dotted path with [index] steps to the example file.</summary>
    private static string Apply(JsonObject edit)
    {
        var op = (string)edit["op"]!;
        var path = (string)edit["path"]!;
        const string Marker = "\"__raw__\"";
        var json = Mutate(root =>
        {
            var steps = path.Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Split('.');
            JsonNode parent = root;
            foreach (var step in steps[..^1])
            {
                parent = int.TryParse(step, out var index) ? parent[index]! : parent[step]!;
            }

            var last = steps[^1];
            switch (op)
            {
                case "remove":
                    parent.AsObject().Remove(last);
                    break;
                case "raw":
                    parent[last] = "__raw__";
                    break;
                default:
                    parent[last] = edit["value"]!.DeepClone();
                    break;
            }
        });
        return op == "raw" ? json.Replace(Marker, (string)edit["value"]!, StringComparison.Ordinal) : json;
    }

    [Fact]
    public void ReadFile_OverTheSizeLimit_RefusedBeforeReading()
    {
        var path = Path.GetTempFileName();
        try
        {
            // Sparse: the length is what is checked, no disk is used.
            using (var file = File.OpenWrite(path)) file.SetLength(PlanningProblemJson.MaxFileBytes + 1);

            var error = Assert.Throws<PlanningProblemException>(() => PlanningProblemJson.ReadFile(path));

            Assert.Contains("limit for a planning file", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
