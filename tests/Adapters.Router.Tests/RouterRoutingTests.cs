using System.Net;
using System.Text.Json;
using Adapters.Bench.Serving;
using Adapters.Router.Routing;

namespace Adapters.Router.Tests;

public class RouterRoutingTests
{
    static readonly string[] Models = Enumerable.Range(0, 30).Select(i => $"adapter-{i}").ToArray();

    [Fact]
    public async Task Each_model_goes_to_its_home_on_the_ring_and_the_body_arrives_unchanged()
    {
        await using var f = await RouterFixture.StartAsync(3);
        foreach (string model in Models)
        {
            string expected = f.Router.Directory.Ring.Walk(model).First();
            for (int i = 0; i < 2; i++)
            {
                using var response = await f.CompleteAsync(model);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(expected, RouterFixture.ReplicaOf(response));
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(expected, body.GetProperty("served_by").GetString());
                Assert.Equal(model, JsonDocument.Parse(body.GetProperty("echo").GetString()!).RootElement.GetProperty("model").GetString());
            }
        }
        Assert.All(f.Replicas, r => Assert.True(r.Completions > 0, $"{r.Id} got nothing of 30 models"));
        string metrics = await f.Client.GetStringAsync("metrics");
        Assert.Equal(60, PrometheusText.Sum(metrics, "adapters_router_routed_total"));
        Assert.Equal(60, PrometheusText.Samples(metrics, "adapters_router_routed_total").Single(s => s.Labels.Contains("home")).Value);
    }

    [Fact]
    public async Task Round_robin_ignores_the_model()
    {
        await using var f = await RouterFixture.StartAsync(3, RoutingPolicy.RoundRobin);
        for (int i = 0; i < 9; i++) (await f.CompleteAsync("same")).Dispose();
        Assert.All(f.Replicas, r => Assert.Equal(3, r.Completions));
    }

    [Fact]
    public async Task A_503_or_a_dead_replica_is_retried_once_on_the_next_replica()
    {
        var dead = FakeReplica.DeadUrl();
        await using var f = await RouterFixture.StartAsync(2, extra: [dead], healthSeconds: 30); // no probe in the test's time
        string deadId = dead.ToString();
        string toDead = Models.First(m => f.Router.Directory.Ring.Walk(m).First() == deadId);
        using (var response = await f.CompleteAsync(toDead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(f.Router.Directory.Ring.Walk(toDead).ElementAt(1), RouterFixture.ReplicaOf(response));
        }
        // The failed connection took it out of the ring at once: its models now have another home.
        using (var again = await f.CompleteAsync(toDead)) Assert.NotEqual(deadId, RouterFixture.ReplicaOf(again));

        var busy = f.Replicas[0];
        busy.Mode = FakeMode.Busy503;
        string toBusy = Models.First(m => f.Router.Directory.Ring.Walk(m).Where(r => r != deadId).First() == busy.Id);
        int before = busy.Completions;
        using (var response = await f.CompleteAsync(toBusy))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(f.Replicas[1].Id, RouterFixture.ReplicaOf(response));
        }
        Assert.Equal(before + 1, busy.Completions);
        // Once only: when the other replica is busy too, the client gets the 503.
        f.Replicas[1].Mode = FakeMode.Busy503;
        using (var response = await f.CompleteAsync(toBusy))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("error", await response.Content.ReadAsStringAsync());
        }
        string metrics = await f.Client.GetStringAsync("metrics");
        Assert.Equal(1, PrometheusText.Samples(metrics, "adapters_router_retries_total").Single(s => s.Labels.Contains("connection")).Value);
        Assert.Equal(2, PrometheusText.Samples(metrics, "adapters_router_retries_total").Single(s => s.Labels.Contains("replica_503")).Value);
    }

    [Theory]
    [InlineData(1)] // no other replica to retry on
    [InlineData(2)] // the retry fails too
    public async Task A_request_no_replica_answered_is_a_502_with_an_OpenAI_error_naming_the_replica(int deadReplicas)
    {
        var dead = Enumerable.Range(0, deadReplicas).Select(_ => FakeReplica.DeadUrl()).ToList();
        await using var f = await RouterFixture.StartAsync(0, extra: dead, healthSeconds: 30); // no probe in the test's time
        using var response = await f.CompleteAsync("m");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal("replica_unreachable", error.GetProperty("code").GetString());
        Assert.Contains(dead, d => error.GetProperty("message").GetString()!.Contains(d.ToString()));
    }

    [Fact]
    public async Task A_stream_that_broke_after_its_first_bytes_is_not_retried()
    {
        await using var f = await RouterFixture.StartAsync(2, healthSeconds: 30);
        foreach (var r in f.Replicas) r.Mode = FakeMode.StreamThenDie;
        using var response = await f.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new StringContent("{\"model\":\"m\",\"stream\":true}", System.Text.Encoding.UTF8, "application/json"),
        }, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());
        await Assert.ThrowsAnyAsync<Exception>(async () => await reader.ReadToEndAsync()); // aborted, not a clean end
        Assert.Equal(1, f.Replicas.Sum(r => r.Completions));
    }

    [Fact]
    public async Task A_replica_failing_its_health_check_leaves_the_ring_and_comes_back()
    {
        await using var f = await RouterFixture.StartAsync(3, healthSeconds: 0.2);
        var sick = f.Replicas[1];
        string model = Models.First(m => f.Router.Directory.Ring.Walk(m).First() == sick.Id);
        sick.HealthStatus = 503; // what a draining `adapters serve` answers
        await f.WaitUntil(() => f.Router.Directory.Available.All(d => d.DestinationId != sick.Id), "the sick replica leaves the ring");
        using (var response = await f.CompleteAsync(model)) Assert.Equal(f.Router.Directory.Ring.Walk(model).ElementAt(1), RouterFixture.ReplicaOf(response));
        string metrics = await f.Client.GetStringAsync("metrics");
        Assert.Equal(0, PrometheusText.Samples(metrics, "adapters_router_replica_up").Single(s => s.Labels.Contains(sick.Id)).Value);
        Assert.Equal(2, PrometheusText.Sum(metrics, "adapters_router_replica_up"));

        sick.HealthStatus = 200;
        await f.WaitUntil(() => f.Router.Directory.Available.Any(d => d.DestinationId == sick.Id), "the replica rejoins");
        using (var response = await f.CompleteAsync(model)) Assert.Equal(sick.Id, RouterFixture.ReplicaOf(response));
    }

    [Fact]
    public async Task Models_is_the_union_of_the_replicas_lists()
    {
        await using var f = await RouterFixture.StartAsync(2);
        f.Replicas[0].Models = ["base", "a", "b"];
        f.Replicas[1].Models = ["base", "b", "c"];
        var data = JsonDocument.Parse(await f.Client.GetStringAsync("v1/models")).RootElement.GetProperty("data");
        Assert.Equal(["base", "a", "b", "c"], data.EnumerateArray().Select(m => m.GetProperty("id").GetString()!));
        var one = JsonDocument.Parse(await f.Client.GetStringAsync("v1/models/c")).RootElement;
        Assert.Equal("c", one.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await f.Client.GetAsync("v1/models/zzz")).StatusCode);
    }

    [Fact]
    public async Task Admin_calls_go_to_every_replica_all_or_error_with_each_replica_reported()
    {
        await using var f = await RouterFixture.StartAsync(3);
        const string load = "{\"lora_name\":\"x\",\"lora_path\":\"x\"}";
        using (var ok = await f.PostAsync("v1/load_lora_adapter", load))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            var body = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(3, body.GetProperty("replicas").GetArrayLength());
        }
        Assert.All(f.Replicas, r => Assert.Equal(("/v1/load_lora_adapter", load, "Bearer " + RouterFixture.Token), r.AdminCalls.Single()));

        f.Replicas[2].AdminStatus = 400; // one replica refuses: not done everywhere
        using (var partial = await f.PostAsync("v1/load_lora_adapter", load))
        {
            Assert.Equal(HttpStatusCode.BadGateway, partial.StatusCode);
            var replicas = JsonDocument.Parse(await partial.Content.ReadAsStringAsync()).RootElement.GetProperty("replicas").EnumerateArray()
                .ToDictionary(r => r.GetProperty("replica").GetString()!, r => r.GetProperty("status").GetInt32());
            Assert.Equal(400, replicas[f.Replicas[2].Id]);
            Assert.Equal(200, replicas[f.Replicas[0].Id]);
        }
        foreach (var r in f.Replicas) r.AdminStatus = 400; // all refuse alike: the client's error, as the replicas said
        using (var refused = await f.PostAsync("v1/load_lora_adapter", load))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("refused by", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString());
        }
        f.Replicas[0].AdminStatus = 200;
        f.Replicas[1].AdminStatus = f.Replicas[2].AdminStatus = 404; // an unload where only one replica had it
        using (var unload = await f.PostAsync("v1/unload_lora_adapter", "{\"lora_name\":\"x\"}")) Assert.Equal(HttpStatusCode.OK, unload.StatusCode);
        f.Replicas[0].AdminStatus = 404;
        using (var none = await f.PostAsync("v1/unload_lora_adapter", "{\"lora_name\":\"x\"}")) Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }
}
