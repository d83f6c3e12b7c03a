using System.Net;
using System.Text.Json;

namespace Adapters.Host.Tests;

/// <summary>
/// /v1/load_lora_adapter and /v1/unload_lora_adapter over the real adapter registry: load from an
/// exported manifest, a folder holding one, or a training adapter folder; load again = replace;
/// bad files are refused with 400 and change nothing; unknown names are 404.
/// </summary>
[Collection(AdapterServerCollection.Name)]
public sealed class SchedulerAdminTests(AdapterServer fixture)
{
    static string LoadBody(string name, string path) =>
        $"{{\"lora_name\": {JsonSerializer.Serialize(name)}, \"lora_path\": {JsonSerializer.Serialize(path)}}}";

    static string UnloadBody(string name) => $"{{\"lora_name\": {JsonSerializer.Serialize(name)}}}";

    async Task<HttpResponseMessage> LoadAsync(string name, string path) =>
        await fixture.Client.PostJsonAsync("/v1/load_lora_adapter", LoadBody(name, path), AdapterServer.AdminToken);

    async Task<HttpResponseMessage> UnloadAsync(string name) =>
        await fixture.Client.PostJsonAsync("/v1/unload_lora_adapter", UnloadBody(name), AdapterServer.AdminToken);

    async Task<(HttpStatusCode Status, string? Text)> CompleteAsync(string model)
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(model, AdapterServer.Prompts[0], AdapterServer.MaxTokens));
        var json = await response.ReadJsonAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? json.GetProperty("choices")[0].GetProperty("text").GetString() : null);
    }

    static async Task AssertOkAsync(HttpResponseMessage response)
    {
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {json}");
    }

    [Fact]
    public async Task Load_replace_and_unload_change_what_the_name_generates()
    {
        const string name = "hot";
        await AssertOkAsync(await LoadAsync(name, fixture.VersionManifest(0)));
        Assert.Equal((HttpStatusCode.OK, fixture.Expected[("v0", 0)]), await CompleteAsync(name));

        await AssertOkAsync(await LoadAsync(name, fixture.VersionFolder(3))); // a folder holding one exported adapter
        Assert.Equal((HttpStatusCode.OK, fixture.Expected[("v3", 0)]), await CompleteAsync(name));
        var models = await (await fixture.Client.GetAsync("/v1/models")).ReadJsonAsync();
        var card = models.GetProperty("data").EnumerateArray().Single(c => c.GetProperty("id").GetString() == name);
        Assert.Equal("loreft", card.GetProperty("method").GetString());

        await AssertOkAsync(await UnloadAsync(name));
        Assert.Equal(HttpStatusCode.NotFound, (await CompleteAsync(name)).Status);
        Assert.False(fixture.Backend.Registry.Contains(name));
    }

    [Fact]
    public async Task Training_adapter_folder_is_converted_and_served()
    {
        const string name = "trained";
        await AssertOkAsync(await LoadAsync(name, fixture.TrainingFolder));
        Assert.Equal((HttpStatusCode.OK, fixture.Expected[("training", 0)]), await CompleteAsync(name));
        await AssertOkAsync(await UnloadAsync(name));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("nan")]
    [InlineData("wrong-shape")]
    [InlineData("other-base-model")]
    [InlineData("not-an-adapter")]
    public async Task Bad_adapter_is_400_with_a_json_error_and_the_registry_unchanged(string defect)
    {
        const string name = "steady";
        await AssertOkAsync(await LoadAsync(name, fixture.VersionManifest(0)));
        var before = fixture.Backend.Registry.Registered.Single(r => r.Name == name);
        string bad = Spoil(defect);

        var error = await (await LoadAsync(name, bad)).AssertErrorAsync(HttpStatusCode.BadRequest);

        Assert.Contains(name, error.GetProperty("message").GetString());
        Assert.Equal(before, fixture.Backend.Registry.Registered.Single(r => r.Name == name));
        Assert.Equal((HttpStatusCode.OK, fixture.Expected[("v0", 0)]), await CompleteAsync(name));
        await AssertOkAsync(await UnloadAsync(name));
    }

    /// <summary>A copy of version v2 (LoRA) inside the adapter root with one defect.</summary>
    string Spoil(string defect)
    {
        string folder = Path.Combine(fixture.AdapterRoot, "spoilt", $"{defect}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(fixture.VersionFolder(2))) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        string manifest = Path.Combine(folder, "v2.adapter.json");
        string weights = Path.Combine(folder, "v2.onnx_adapter");
        switch (defect)
        {
            case "truncated":
                var bytes = File.ReadAllBytes(weights);
                File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
                break;
            case "nan":
                var file = Adapters.Core.Exported.OnnxAdapterFile.Read(weights);
                var spoilt = file.Parameters.Select((t, i) => i == 0 ? new Adapters.Core.Model.TensorData(t.Name, t.Shape, [float.NaN, .. t.Data[1..]]) : t).ToList();
                Adapters.Export.AdapterExport.OnnxAdapterWriter.Write(weights, spoilt);
                break;
            case "wrong-shape":
                var original = Adapters.Core.Exported.OnnxAdapterFile.Read(weights);
                var cut = original.Parameters.Select(t => t.Name.EndsWith(".lora_A")
                    ? new Adapters.Core.Model.TensorData(t.Name, [t.Shape[0] - 1, t.Shape[1]], t.Data[..((t.Shape[0] - 1) * t.Shape[1])]) : t).ToList();
                Adapters.Export.AdapterExport.OnnxAdapterWriter.Write(weights, cut);
                break;
            case "other-base-model":
                File.WriteAllText(manifest, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(manifest), "\"embedding_sha256\": \"[0-9a-f]+\"", "\"embedding_sha256\": \"" + new string('0', 64) + "\""));
                break;
            case "not-an-adapter":
                File.WriteAllText(manifest, "{\"hello\": ");
                break;
        }
        return manifest;
    }

    [Fact]
    public async Task Unload_of_an_unknown_name_is_404()
    {
        await (await UnloadAsync("never-loaded")).AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Admin_calls_without_the_bearer_token_are_401_and_change_nothing()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/load_lora_adapter", LoadBody("sneaky", fixture.VersionManifest(0)));
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized);
        Assert.False(fixture.Backend.Registry.Contains("sneaky"));
    }

    [Fact]
    public async Task Loads_are_counted_in_metrics()
    {
        await AssertOkAsync(await LoadAsync("counted", fixture.VersionManifest(4)));
        await AssertOkAsync(await UnloadAsync("counted"));
        string metrics = await fixture.Client.GetStringAsync("/metrics");
        Assert.Matches(@"adapters_adapter_loads_total [1-9]", metrics);
        Assert.Contains("adapters_batch_size_bucket", metrics);
    }
}
