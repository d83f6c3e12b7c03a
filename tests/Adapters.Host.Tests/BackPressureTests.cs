using System.Net;

namespace Adapters.Host.Tests;

/// <summary>Queue limits, timeouts, client disconnects and graceful shutdown, over a backend whose pace the test controls.</summary>
public sealed class BackPressureTests
{
    [Fact]
    public async Task Full_queue_answers_429_with_Retry_After_and_queued_requests_still_complete()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend { Gated = true }, o => o with { MaxBatch = 1, MaxQueue = 1 });
        var running = fake.Client.PostJsonAsync("/v1/completions", fake.Body());
        await fake.Backend.WaitUntilAsync(b => b.Started == 1, "the first request runs");
        var queued = fake.Client.PostJsonAsync("/v1/completions", fake.Body());
        await fake.Backend.WaitUntilAsync(_ => fake.Server.Metrics.QueueDepth.Value == 1, "the second request waits");

        var refused = await fake.Client.PostJsonAsync("/v1/completions", fake.Body());
        await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);

        fake.Backend.Release(2);
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        fake.Backend.Release();
        Assert.Equal(HttpStatusCode.OK, (await fake.Client.PostJsonAsync("/v1/completions", fake.Body())).StatusCode); // serving again
    }

    [Fact]
    public async Task Request_past_the_timeout_is_504_and_its_generation_is_cancelled()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend { Gated = true }, o => o with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var response = await fake.Client.PostJsonAsync("/v1/completions", fake.Body());
        await response.AssertErrorAsync(HttpStatusCode.GatewayTimeout);
        await fake.Backend.WaitUntilAsync(b => b.Cancelled == 1, "the backend sees the cancellation");
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_backend_generation()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend { Gated = true });
        using var disconnect = new CancellationTokenSource();
        var call = fake.Client.PostJsonAsync("/v1/completions", fake.Body(), cancel: disconnect.Token);
        await fake.Backend.WaitUntilAsync(b => b.Started == 1, "generation starts");

        disconnect.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await fake.Backend.WaitUntilAsync(b => b.Cancelled == 1, "the backend sees the disconnect");
        await fake.Backend.WaitUntilAsync(_ => fake.Server.Metrics.ActiveRequests.Value == 0, "the slot is free again");
    }

    [Fact]
    public async Task Client_disconnect_mid_stream_cancels_the_backend_generation()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend { TokensPerJob = 1000, Delay = TimeSpan.FromMilliseconds(20) });
        var response = await fake.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(fake.Body(maxTokens: 500, stream: true), System.Text.Encoding.UTF8, "application/json"),
        }, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[16];
        Assert.True(await stream.ReadAsync(buffer) > 0); // a chunk arrived: generation is under way

        response.Dispose(); // closes the connection mid-stream
        await fake.Backend.WaitUntilAsync(b => b.Cancelled == 1, "the backend sees the disconnect");
        Assert.Equal(0, fake.Backend.Completed);
    }

    [Fact]
    public async Task Graceful_shutdown_finishes_the_in_flight_request_and_then_refuses_connections()
    {
        var fake = await FakeServer.StartAsync(new FakeBackend { TokensPerJob = 5, Delay = TimeSpan.FromMilliseconds(100) });
        Uri url = fake.Server.Url;
        var inFlight = fake.Client.PostJsonAsync("/v1/completions", fake.Body(maxTokens: 5));
        await fake.Backend.WaitUntilAsync(b => b.Started == 1, "generation starts");

        await fake.Server.DisposeAsync(); // returns once the in-flight request has been answered
        var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync();
        Assert.Equal(5, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, fake.Backend.Cancelled);

        using var late = HttpHelpers.NewClient(url);
        await Assert.ThrowsAsync<HttpRequestException>(() => late.GetAsync("/health"));
        await fake.DisposeAsync();
    }

    static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task While_draining_health_and_new_requests_get_503_and_the_in_flight_stream_finishes()
    {
        var fake = await FakeServer.StartAsync(new FakeBackend { TokensPerJob = 20, Delay = TimeSpan.FromMilliseconds(100) });
        var inFlight = fake.Client.PostJsonAsync("/v1/completions", fake.Body(maxTokens: 20));
        await fake.Backend.WaitUntilAsync(b => b.Started == 1, "generation starts");

        var stopping = fake.Server.DisposeAsync().AsTask(); // what SIGTERM starts
        using var probe = HttpHelpers.NewClient(fake.Server.Url);
        var health = await probe.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("stopping", (await health.ReadJsonAsync()).GetProperty("status").GetString());
        var refused = await probe.PostJsonAsync("/v1/completions", fake.Body(maxTokens: 2));
        await refused.AssertErrorAsync(HttpStatusCode.ServiceUnavailable);

        var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(20, (await response.ReadJsonAsync()).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        await stopping.WaitAsync(HangGuard);
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task Shutdown_cancels_a_request_still_running_after_the_shutdown_timeout()
    {
        var fake = await FakeServer.StartAsync(new FakeBackend { Gated = true }, o => o with { ShutdownTimeout = TimeSpan.FromMilliseconds(200) });
        var stuck = fake.Client.PostJsonAsync("/v1/completions", fake.Body());
        await fake.Backend.WaitUntilAsync(b => b.Started == 1, "generation starts");

        // The gated backend never finishes on its own: without the shutdown timeout this would hang,
        // so the wait is a hang guard (generous), not a measurement.
        await fake.DisposeAsync().AsTask().WaitAsync(HangGuard);
        Assert.Equal(1, fake.Backend.Cancelled);
        await Assert.ThrowsAnyAsync<Exception>(() => stuck); // the connection was closed without an answer
    }

    [Fact]
    public async Task Loaded_adapter_is_listed_and_served_through_the_seams()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend());
        Directory.CreateDirectory(Path.Combine(fake.Root, "my-lora"));
        var load = await fake.Client.PostJsonAsync("/v1/load_lora_adapter", "{\"lora_name\": \"my-lora\", \"lora_path\": \"my-lora\"}");
        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        Assert.Equal(Path.Combine(fake.Root, "my-lora"), Assert.Single(fake.Admin.LoadedPaths));

        var models = await (await fake.Client.GetAsync("/v1/models")).ReadJsonAsync();
        var adapter = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "my-lora");
        Assert.Equal("adapter", adapter.GetProperty("kind").GetString());
        Assert.Equal("lora", adapter.GetProperty("method").GetString());
        Assert.Equal(8, adapter.GetProperty("rank").GetInt32());
        Assert.Equal(FakeBackend.Name, adapter.GetProperty("parent").GetString());

        var completion = await fake.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody("my-lora", "Hi", 3));
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        Assert.Equal("my-lora", (await completion.ReadJsonAsync()).GetProperty("model").GetString());

        var again = await fake.Client.PostJsonAsync("/v1/load_lora_adapter", "{\"lora_name\": \"my-lora\", \"lora_path\": \"my-lora\"}");
        await again.AssertErrorAsync(HttpStatusCode.Conflict);
        Assert.Equal(1, fake.Server.Metrics.AdapterLoads.Value);
    }
}
