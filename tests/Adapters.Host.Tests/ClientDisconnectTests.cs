using System.Diagnostics;
using System.Net;
using System.Text;
using Adapters.Runtime.Serving;

namespace Adapters.Host.Tests;

/// <summary>A client that goes away mid-stream takes its row out of the scheduler's batch.</summary>
[Collection(AdapterServerCollection.Name)]
public sealed class ClientDisconnectTests(AdapterServer fixture)
{
    /// <summary>Far beyond what can be generated before the client leaves (each step is slowed below).</summary>
    const int LongMaxTokens = 400;

    /// <summary>Slows every step so 400 tokens take seconds, not the ~0.2 s stories260K needs.</summary>
    static readonly TimeSpan SlowStep = TimeSpan.FromMilliseconds(5);

    static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task Disconnect_mid_stream_cancels_the_scheduler_row(string path)
    {
        string body = path.Contains("chat")
            ? $"{{\"model\": \"{AdapterServer.Alpha}\", \"messages\": [{{\"role\": \"user\", \"content\": \"{AdapterServer.Prompts[0]}\"}}], \"max_tokens\": {LongMaxTokens}, \"temperature\": 0, \"stream\": true}}"
            : HttpHelpers.CompletionBody(AdapterServer.Alpha, AdapterServer.Prompts[0], LongMaxTokens, stream: true);
        var scheduler = fixture.Backend.Scheduler;
        long cancelledBefore = scheduler.Cancelled, stepsBefore = scheduler.Steps;
        void Slow(SchedulerStep _) => Thread.Sleep(SlowStep);
        scheduler.StepCompleted += Slow;
        try
        {
            // No draining: by default HttpClient reads an abandoned response for up to 2 s to reuse
            // the connection; a client that really goes away (a killed curl) closes it at once.
            using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = fixture.Server.Url, Timeout = Bound };
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                Assert.StartsWith("data: ", await reader.ReadLineAsync());
                Assert.Equal(1, scheduler.ActiveRows);
            } // disposing the response aborts the connection: the client is gone

            var clock = Stopwatch.StartNew();
            while ((scheduler.Cancelled == cancelledBefore || scheduler.ActiveRows != 0) && clock.Elapsed < Bound) await Task.Delay(10);
            Assert.Equal(cancelledBefore + 1, scheduler.Cancelled);
            Assert.Equal(0, scheduler.ActiveRows);
            long steps = scheduler.Steps - stepsBefore;
            Assert.True(steps < LongMaxTokens / 2, $"the row ran {steps} steps of {LongMaxTokens} (cancelled after {clock.ElapsedMilliseconds} ms) instead of stopping soon after the client left");
        }
        finally { scheduler.StepCompleted -= Slow; }
        Assert.Matches(@"adapters_scheduler_cancelled_total [1-9]", await fixture.Client.GetStringAsync("/metrics"));
    }
}
