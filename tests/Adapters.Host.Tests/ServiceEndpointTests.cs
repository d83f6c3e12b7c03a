using System.Net;

namespace Adapters.Host.Tests;

/// <summary>/v1/models, /health and /metrics on the real server.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class ServiceEndpointTests(Stories260KServer fixture)
{
    [Fact]
    public async Task Models_lists_the_base_model_in_OpenAI_format_with_our_fields()
    {
        var response = await fixture.Client.GetAsync("/v1/models");
        var json = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", json.GetProperty("object").GetString());
        var model = Assert.Single(json.GetProperty("data").EnumerateArray());
        Assert.Equal(Stories260KServer.ModelName, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("base", model.GetProperty("kind").GetString());
        Assert.Equal(fixture.Reference.Config.MaxSeqLen, model.GetProperty("max_model_len").GetInt32());
        Assert.True(model.TryGetProperty("method", out _) && model.TryGetProperty("rank", out _) && model.TryGetProperty("owned_by", out _));
    }

    [Fact]
    public async Task Health_is_ok()
    {
        var response = await fixture.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.ReadJsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_expose_requests_tokens_queue_batch_latency_and_adapter_counters_after_a_request()
    {
        var completion = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Stories260KServer.ModelName, "Tom", 8));
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);

        string metrics = await fixture.Client.GetStringAsync("/metrics");
        foreach (string name in new[]
                 {
                     "adapters_requests_total{endpoint=\"/v1/completions\",status=\"200\"}",
                     "adapters_generated_tokens_total{model=\"stories260K\"}",
                     "adapters_prompt_tokens_total",
                     "adapters_num_requests_waiting",
                     "adapters_num_requests_running",
                     "adapters_time_to_first_token_seconds_bucket",
                     "adapters_time_per_output_token_seconds_bucket",
                     "adapters_adapter_loads_total",
                     "adapters_adapter_evictions_total",
                 })
            Assert.Contains(name, metrics);
    }
}
