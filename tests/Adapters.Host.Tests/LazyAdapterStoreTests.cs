using System.Net;
using System.Text.Json;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.TestSupport;
using Prometheus;

namespace Adapters.Host.Tests;

/// <summary>
/// A batched stories260K export served with an adapter root holding adapters one folder per name
/// (the shared store): requests load them on first use, two resident at most.
/// </summary>
public sealed class StoreServer : IAsyncLifetime
{
    public const string AdminToken = "store-test-token";
    public const int MaxLoaded = 2;
    public static readonly string[] Names = ["s0", "s1", "s2", "s3"];

    public string Root { get; } = SharedModels.NewTempFolder("host-store-tests");
    public string Store => Path.Combine(Root, "store");
    public HostServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        AdapterExporter.Export(weights, Array.Empty<AdapterSource>(), Path.Combine(Root, "model"), new AdapterExportOptions
        {
            Mode = AdapterExportMode.Batched,
            Slots = 2,
            MaxRank = 4,
            ExtraLoraTargets = LlamaTensorNames.Projections.ToList(),
            Model = new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = 2 },
        });
        for (int i = 0; i < Names.Length; i++)
            AdapterExporter.WriteAdapter(weights.Config, ModelFingerprint.Of(weights), new AdapterSource(Names[i], RandomAdapters.Lora(weights, seed: 300 + i)), Path.Combine(Store, Names[i]));
        // Not adapters: a folder with a broken manifest, and a link to a folder outside the store.
        Directory.CreateDirectory(Path.Combine(Store, "broken"));
        File.WriteAllText(Path.Combine(Store, "broken", "broken" + ExportedAdapterManifest.FileSuffix), "{ not json");
        string outside = Path.Combine(Root, "outside");
        AdapterExporter.WriteAdapter(weights.Config, ModelFingerprint.Of(weights), new AdapterSource("escape", RandomAdapters.Lora(weights, seed: 399)), outside);
        Directory.CreateSymbolicLink(Path.Combine(Store, "escape"), outside);

        string token = Path.Combine(Root, "admin.token");
        await File.WriteAllTextAsync(token, AdminToken + "\n");
        Server = await HostServer.StartAsync(new HostServerOptions
        {
            ModelFolder = Path.Combine(Root, "model"),
            ServedModelName = "base",
            AdapterRoots = [Store],
            AdminTokenFile = token,
            IntraOpThreads = 2,
            MaxBatch = 2,
            MaxLoadedAdapters = MaxLoaded,
        });
        Client = HttpHelpers.NewClient(Server.Url);
    }

    public double Loads()
    {
        using var stream = new MemoryStream();
        Server.Metrics.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        return text.Split('\n').Where(l => l.StartsWith("adapters_adapter_loads_total ", StringComparison.Ordinal)).Select(l => double.Parse(l.Split(' ')[1])).Single();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class StoreServerCollection : ICollectionFixture<StoreServer>
{
    public const string Name = "stories260K adapter store";
}

[Collection(StoreServerCollection.Name)]
public class LazyAdapterStoreTests(StoreServer fixture)
{
    static string Cache(HttpResponseMessage r) => r.Headers.TryGetValues("x-adapters-cache", out var v) ? v.Single() : "(none)";

    async Task<(HttpResponseMessage Response, string Text)> Complete(string model)
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(model, "Lily saw", 12));
        string text = response.IsSuccessStatusCode
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!
            : await response.Content.ReadAsStringAsync();
        return (response, text);
    }

    [Fact]
    public async Task A_store_adapter_loads_on_its_first_request_and_answers_what_an_admin_load_of_it_answers()
    {
        double before = fixture.Loads();
        var (first, lazyText) = await Complete("s0");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("miss", Cache(first));
        Assert.Equal(before + 1, fixture.Loads());
        var models = JsonDocument.Parse(await fixture.Client.GetStringAsync("/v1/models")).RootElement.GetProperty("data");
        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("id").GetString() == "s0");

        // The same folder loaded by the admin call under another name generates the same text; the base model another.
        var admin = await fixture.Client.PostJsonAsync("/v1/load_lora_adapter",
            JsonSerializer.Serialize(new { lora_name = "s0-admin", lora_path = Path.Combine(fixture.Store, "s0") }), StoreServer.AdminToken);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        var (_, adminText) = await Complete("s0-admin");
        var (_, baseText) = await Complete("base");
        Assert.Equal(adminText, lazyText);
        Assert.NotEqual(baseText, lazyText);
        await fixture.Client.PostJsonAsync("/v1/unload_lora_adapter", "{\"lora_name\": \"s0-admin\"}", StoreServer.AdminToken);
    }

    [Fact]
    public async Task Concurrent_first_requests_share_one_load_and_evicted_adapters_come_back_from_disk()
    {
        double before = fixture.Loads();
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Complete("s1")));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Response.StatusCode));
        Assert.Single(answers.Select(a => a.Text).Distinct());
        Assert.Equal(before + 1, fixture.Loads());
        var (hit, _) = await Complete("s1");
        Assert.Equal("hit", Cache(hit));

        // Two more adapters through a two-place memory: s1 is evicted, and read back on its next request.
        Assert.Equal(HttpStatusCode.OK, (await Complete("s2")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Complete("s3")).Response.StatusCode);
        var (back, text) = await Complete("s1");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal("miss", Cache(back));
        Assert.Equal(answers[0].Text, text);
        Assert.Equal(before + 4, fixture.Loads());
    }

    [Theory]
    [InlineData("nothing-here")]
    [InlineData("../outside")]
    [InlineData("escape")]      // a link out of the store
    [InlineData("s0/..")]
    [InlineData(".")]
    public async Task Names_that_are_not_store_folders_stay_unknown_models(string model)
    {
        var (response, _) = await Complete(model);
        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "model");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_broken_store_folder_is_a_400_naming_the_problem_not_a_server_error()
    {
        var (response, _) = await Complete("broken");
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "model");
        Assert.Contains("broken", error.GetProperty("message").GetString());
        // The server goes on serving.
        Assert.Equal(HttpStatusCode.OK, (await Complete("base")).Response.StatusCode);
    }
}
