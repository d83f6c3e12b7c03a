using System.CommandLine;
using Adapters.Cli;
using Adapters.Cli.Commands;
using YamlDotNet.RepresentationModel;

namespace Adapters.Router.Tests;

/// <summary>
/// deploy/ without kubectl: the manifests parse, and what they say agrees with the CLI — the
/// container arguments parse with the real `serve` and `router` commands, the ports and probes
/// are the ports those arguments listen on, the paths lie on the mounted volumes, the router
/// resolves the headless Service of the replicas, and both run the image the README builds.
/// </summary>
public class DeployManifestTests
{
    static readonly string Deploy = Path.Combine(FindRepoRoot(), "deploy");
    const string Image = "adapters:latest";
    const string TokenSecret = "adapters-admin-token";

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Adapters.sln"))) return dir.FullName;
        throw new InvalidOperationException("Adapters.sln not found");
    }

    static List<YamlMappingNode> Documents()
    {
        var documents = new List<YamlMappingNode>();
        foreach (string file in Directory.EnumerateFiles(Deploy, "*.yaml").Order())
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file)) stream.Load(reader);
            foreach (var doc in stream.Documents) documents.Add((YamlMappingNode)doc.RootNode);
        }
        return documents;
    }

    static YamlMappingNode Kind(string kind, string name) => Documents().Single(d => S(d, "kind") == kind && S(M(d, "metadata"), "name") == name);

    static YamlMappingNode M(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];
    static YamlSequenceNode Seq(YamlNode node, string key) => (YamlSequenceNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];
    static string S(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)]).Value!;
    static bool Has(YamlNode node, string key) => ((YamlMappingNode)node).Children.ContainsKey(new YamlScalarNode(key));

    static YamlMappingNode PodSpec(YamlMappingNode deployment) => M(M(M(deployment, "spec"), "template"), "spec");
    static YamlMappingNode Container(YamlMappingNode deployment) => (YamlMappingNode)Seq(PodSpec(deployment), "containers").Single();
    static string[] Args(YamlMappingNode container) => Seq(container, "args").Select(a => ((YamlScalarNode)a).Value!).ToArray();

    static ParseResult Parse(Command command, string[] args)
    {
        var parse = command.Parse(args[1..]);
        Assert.True(parse.Errors.Count == 0, $"{string.Join(" ", args)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        return parse;
    }

    static T Value<T>(ParseResult parse, string option) => parse.GetValue<T>(option)!;

    /// <summary>The container port a probe or Service names (by name or number).</summary>
    static int PortOf(YamlMappingNode container, string port) =>
        int.TryParse(port, out int n) ? n : int.Parse(S(Seq(container, "ports").Cast<YamlMappingNode>().Single(p => S(p, "name") == port), "containerPort"));

    static void AssertHealthProbes(YamlMappingNode container, int port, bool livenessOnHealth)
    {
        var readiness = M(M(container, "readinessProbe"), "httpGet");
        Assert.Equal("/health", S(readiness, "path"));
        Assert.Equal(port, PortOf(container, S(readiness, "port")));
        var liveness = M(container, "livenessProbe");
        if (livenessOnHealth)
        {
            Assert.Equal("/health", S(M(liveness, "httpGet"), "path"));
            Assert.Equal(port, PortOf(container, S(M(liveness, "httpGet"), "port")));
        }
        else Assert.Equal(port, PortOf(container, S(M(liveness, "tcpSocket"), "port")));
    }

    /// <summary>The volume mounted at the folder holding <paramref name="path"/> (or above it), by name.</summary>
    static YamlMappingNode VolumeFor(YamlMappingNode deployment, string path)
    {
        var mounts = Seq(Container(deployment), "volumeMounts").Cast<YamlMappingNode>();
        var mount = mounts.Where(m => path == S(m, "mountPath") || path.StartsWith(S(m, "mountPath").TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => S(m, "mountPath").Length).FirstOrDefault();
        Assert.True(mount is not null, $"{path} is on no mounted volume");
        return Seq(PodSpec(deployment), "volumes").Cast<YamlMappingNode>().Single(v => S(v, "name") == S(mount!, "name"));
    }

    static void AssertTokenFileFromSecret(YamlMappingNode deployment, string tokenFile)
    {
        var secret = M(VolumeFor(deployment, tokenFile), "secret");
        Assert.Equal(TokenSecret, S(secret, "secretName"));
        string mountPath = S(Seq(Container(deployment), "volumeMounts").Cast<YamlMappingNode>().Single(m => S(m, "name") == S(VolumeFor(deployment, tokenFile), "name")), "mountPath");
        string relative = tokenFile[(mountPath.TrimEnd('/').Length + 1)..];
        Assert.Contains(Seq(secret, "items").Cast<YamlMappingNode>(), i => S(i, "key") == "token" && S(i, "path") == relative);
    }

    static Command Serve() => ServeCommand.Create(new CliConsole(TextWriter.Null, TextWriter.Null));
    static Command RouterCli() => RouterCommand.Create(new CliConsole(TextWriter.Null, TextWriter.Null));

    [Fact]
    public void The_replica_deployment_runs_serve_with_probes_on_its_port_the_store_volume_and_the_token_secret()
    {
        var deployment = Kind("Deployment", "adapters-replica");
        var container = Container(deployment);
        Assert.Equal(Image, S(container, "image"));
        string[] args = Args(container);
        Assert.Equal("serve", args[0]);
        var parse = Parse(Serve(), args);
        int port = Value<int>(parse, "--port");
        Assert.Equal(port, PortOf(container, "http"));
        AssertHealthProbes(container, port, livenessOnHealth: true);
        Assert.Equal("0.0.0.0", Value<string>(parse, "--host")); // reachable from the router's pods

        // The model and the adapter store are on the shared volume, the claim the manifests define.
        foreach (string path in new[] { Value<string>(parse, "--model"), Value<string[]>(parse, "--adapters").Single() })
        {
            string claim = S(M(VolumeFor(deployment, path), "persistentVolumeClaim"), "claimName");
            var pvc = Kind("PersistentVolumeClaim", claim);
            Assert.Contains("ReadWriteMany", Seq(M(pvc, "spec"), "accessModes").Select(a => ((YamlScalarNode)a).Value));
        }
        AssertTokenFileFromSecret(deployment, Value<string>(parse, "--admin-token-file"));
        // Draining takes up to serve's shutdown timeout (30 s): the pod must be given longer.
        Assert.True(int.Parse(S(PodSpec(deployment), "terminationGracePeriodSeconds")) > 30);
    }

    [Fact]
    public void The_router_resolves_the_headless_service_of_the_replicas_and_is_served_on_its_port()
    {
        var replicas = Kind("Deployment", "adapters-replica");
        var replicaPort = Value<int>(Parse(Serve(), Args(Container(replicas))), "--port");
        var deployment = Kind("Deployment", "adapters-router");
        var container = Container(deployment);
        Assert.Equal(Image, S(container, "image"));
        string[] args = Args(container);
        Assert.Equal("router", args[0]);
        var parse = Parse(RouterCli(), args);
        var dns = ReplicaDnsName.Parse(Value<string>(parse, "--replica-dns"));
        var headless = Kind("Service", dns.Host.Split('.')[0]);
        Assert.Equal("None", S(M(headless, "spec"), "clusterIP"));
        Assert.Equal(dns.Port, int.Parse(S((YamlMappingNode)Seq(M(headless, "spec"), "ports").Single(), "port")));
        Assert.Equal(dns.Port, replicaPort);
        // The headless Service selects the replica pods.
        var selector = M(M(headless, "spec"), "selector");
        var labels = M(M(M(M(replicas, "spec"), "template"), "metadata"), "labels");
        Assert.All(selector.Children, kv => Assert.Equal(((YamlScalarNode)kv.Value).Value, S(labels, ((YamlScalarNode)kv.Key).Value!)));
        // The router's spill floor is the replicas' batch size.
        Assert.Equal(Value<int>(Parse(Serve(), Args(Container(replicas))), "--max-batch"), Value<int>(parse, "--spill-floor"));

        int port = Value<int>(parse, "--port");
        Assert.Equal(port, PortOf(container, "http"));
        AssertHealthProbes(container, port, livenessOnHealth: false);
        var service = Kind("Service", "adapters-router");
        Assert.Equal(port, PortOf(container, S((YamlMappingNode)Seq(M(service, "spec"), "ports").Single(), "targetPort")));
        AssertTokenFileFromSecret(deployment, Value<string>(parse, "--admin-token-file"));
        Assert.False(Has(M(service, "spec"), "clusterIP"));
    }

    [Fact]
    public void The_readme_builds_that_image_and_creates_that_secret()
    {
        string readme = File.ReadAllText(Path.Combine(FindRepoRoot(), "README.md"));
        Assert.Contains($"docker build -f deploy/Dockerfile -t {Image} .", readme);
        Assert.Contains($"kubectl create secret generic {TokenSecret} --from-file=token=", readme);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/adapters.dll\"]", File.ReadAllText(Path.Combine(Deploy, "Dockerfile")));
    }

    [Fact]
    public void The_image_runs_with_the_generation_0_budget_the_wrapper_sets()
    {
        string wrapper = File.ReadAllText(Path.Combine(FindRepoRoot(), "adapters"));
        var set = System.Text.RegularExpressions.Regex.Match(wrapper, @"export DOTNET_GCgen0size=""\$\{DOTNET_GCgen0size:-(0x[0-9a-fA-F]+)\}""");
        Assert.True(set.Success, "the adapters wrapper sets DOTNET_GCgen0size unless the user did");
        Assert.Contains($"ENV DOTNET_GCgen0size={set.Groups[1].Value}", File.ReadAllText(Path.Combine(Deploy, "Dockerfile")));
    }
}
