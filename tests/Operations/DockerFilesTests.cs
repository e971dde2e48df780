using YamlDotNet.RepresentationModel;

namespace AdaMec.Operations.Tests;

/// <summary>
/// There is no Docker engine on these machines: the compose file and the image file are checked by
/// reading them (every service, port, volume and file they name), not by running them.
/// </summary>
public sealed class DockerFilesTests
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public void Compose_EveryServicePortVolumeAndFile_Consistent()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Root, "docker", "compose.yaml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = (YamlMappingNode)root["services"];
        Assert.Equal(["edge1", "edge2", "edge3", "otel-collector", "postgres"], services.Children.Keys.Select(k => k.ToString()).Order());
        var networks = ((YamlMappingNode)root["networks"]).Children.Keys.Select(k => k.ToString()).ToHashSet();
        var volumes = ((YamlMappingNode)root["volumes"]).Children.Keys.Select(k => k.ToString()).ToHashSet();
        var published = new HashSet<string>();
        foreach (var (nameNode, node) in services.Children)
        {
            var name = nameNode.ToString();
            var service = Merged((YamlMappingNode)node);
            Assert.True(service.Children.ContainsKey("image") || service.Children.ContainsKey("build"), $"{name}: neither image nor build");
            Assert.All(Sequence(service, "networks"), n => Assert.Contains(n, networks));
            Assert.NotEmpty(Sequence(service, "networks"));
            foreach (var port in Sequence(service, "ports"))
            {
                var host = port.Split(':')[0];
                Assert.True(published.Add(host), $"{name}: host port {host} published twice");
            }
            foreach (var volume in Sequence(service, "volumes"))
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith("./", StringComparison.Ordinal)) Assert.True(File.Exists(Path.Combine(Root, "docker", source[2..])), $"{name}: {source} missing");
                else Assert.Contains(source, volumes);
            }
            // Credentials come from an env file that git and the image build never see.
            foreach (var envFile in Sequence(service, "env_file"))
            {
                Assert.EndsWith(".env", envFile, StringComparison.Ordinal);
                Assert.Contains("docker/*.env", File.ReadAllLines(Path.Combine(Root, ".gitignore")));
            }
            if (name.StartsWith("edge", StringComparison.Ordinal))
            {
                var command = Sequence(service, "command");
                Assert.Equal(name, command[command.IndexOf("--device") + 1]);
                Assert.Contains("--http-port", command);
                Assert.Equal([$"cache-{name}:/var/cache/adamec"], Sequence(service, "volumes"));
            }
        }
        Assert.Superset(new HashSet<string> { "30000", "30001", "30002", "8081", "8082", "8083" }, published);
        Assert.Equal(["otel"], Sequence((YamlMappingNode)services["otel-collector"], "profiles"));
        Assert.DoesNotMatch(@"Password=[^$;""]", File.ReadAllText(Path.Combine(Root, "docker", "compose.yaml"))); // no literal password
    }

    [Fact]
    public void SiloImage_MultiStageNonRootWithCacheVolume()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "docker", "silo.Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build", StringComparison.Ordinal));
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotEqual("USER root", user);
        Assert.True(Array.IndexOf(lines, user) > Array.FindLastIndex(lines, l => l.StartsWith("RUN ", StringComparison.Ordinal)), "USER comes after the last RUN");
        Assert.Contains(lines, l => l.StartsWith("VOLUME", StringComparison.Ordinal) && l.Contains("/var/cache/adamec", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("ADAMEC_Device__CacheDirectory=/var/cache/adamec", StringComparison.Ordinal));
        var ignore = File.ReadAllLines(Path.Combine(Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains(".git/", ignore);
        Assert.Contains("docker/*.env", ignore);
    }

    /// <summary>A service with its YAML merge key (<c>&lt;&lt;: *silo</c>) applied: its own entries win.</summary>
    private static YamlMappingNode Merged(YamlMappingNode service)
    {
        if (!service.Children.TryGetValue("<<", out var merged) || merged is not YamlMappingNode defaults) return service;
        var result = new YamlMappingNode();
        foreach (var (key, value) in defaults.Children) result.Children[key] = value;
        foreach (var (key, value) in service.Children.Where(c => c.Key.ToString() != "<<")) result.Children[key] = value;
        return result;
    }

    private static List<string> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlSequenceNode sequence ? sequence.Children.Select(c => c.ToString()).ToList() : [];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AdaMec.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("AdaMec.sln not found above the test's folder");
    }
}
