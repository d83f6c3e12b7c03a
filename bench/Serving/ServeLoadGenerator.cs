using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Adapters.Bench.Serving;

/// <summary>
/// A bounded load generator for a running OpenAI-style endpoint: <see cref="ServeLoadOptions.Concurrency"/>
/// clients in a closed loop (never more requests in flight than that), each request for a model
/// drawn by Zipf's law, streamed or not. Every request is recorded with its outcome, timings and
/// the routing headers, so callers can tell which replica served it and whether its adapter was in memory.
/// </summary>
public sealed class ServeLoadGenerator : IDisposable
{
    readonly ServeLoadOptions _options;
    readonly ZipfSampler _zipf;
    readonly Random _streamChoice;
    readonly HttpClient _http;
    readonly Stopwatch _clock = new();
    int _next = -1;

    public ServeLoadGenerator(ServeLoadOptions options)
    {
        _options = options.Validate();
        _zipf = new ZipfSampler(options.Models.Count, options.ZipfExponent, options.Seed);
        _streamChoice = new Random(options.Seed + 1);
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Seconds since <see cref="RunAsync"/> started (the clock of every record).</summary>
    public double Elapsed => _clock.Elapsed.TotalSeconds;

    /// <param name="stop">Stops sending new requests (those in flight still finish, within the request timeout).</param>
    public async Task<IReadOnlyList<ServeRequestRecord>> RunAsync(CancellationToken stop = default)
    {
        var records = new ConcurrentBag<ServeRequestRecord>();
        _clock.Start();
        var clients = Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(async () =>
        {
            bool first = true;
            while (!stop.IsCancellationRequested && _clock.Elapsed < _options.Duration)
            {
                int index = Interlocked.Increment(ref _next);
                if (_options.MaxRequests is { } max && index >= max) return;
                if (!first && !await ThinkAsync(stop)) return;
                first = false;
                string model = _options.Models[_zipf.Next()];
                bool stream;
                lock (_streamChoice) stream = _streamChoice.NextDouble() < _options.StreamFraction;
                records.Add(await SendAsync(index, model, stream));
            }
        }, CancellationToken.None)).ToList();
        await Task.WhenAll(clients);
        return records.OrderBy(r => r.Index).ToList();
    }

    /// <summary>Waits <see cref="ServeLoadOptions.ThinkTime"/> before a client's next request; false when the run ends meanwhile.</summary>
    async Task<bool> ThinkAsync(CancellationToken stop)
    {
        if (_options.ThinkTime <= TimeSpan.Zero) return true;
        // Timers count in the system's coarse clock ticks (a few ms on Linux) and may fire up to a
        // tick early: wait again until the think time has passed on the run's own clock.
        var until = _clock.Elapsed + _options.ThinkTime;
        try
        {
            for (var left = _options.ThinkTime; left > TimeSpan.Zero; left = until - _clock.Elapsed)
                await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, stop);
        }
        catch (OperationCanceledException) { return false; }
        return _clock.Elapsed < _options.Duration;
    }

    async Task<ServeRequestRecord> SendAsync(int index, string model, bool stream)
    {
        var record = new ServeRequestRecord { Index = index, Model = model, Stream = stream, Start = Elapsed };
        using var limit = new CancellationTokenSource(_options.RequestTimeout);
        var body = new JsonObject
        {
            ["model"] = model,
            ["prompt"] = _options.Prompt,
            ["max_tokens"] = _options.MaxTokens,
            ["temperature"] = 0,
            ["stream"] = stream,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.Url, "v1/completions"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        double sent = Elapsed;
        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token); }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return record with { End = Elapsed, Outcome = ServeOutcome.NoAnswer, Error = e.Message };
        }
        using (response)
        {
            record = record with
            {
                Status = (int)response.StatusCode,
                Replica = Header(response, "x-adapters-replica"),
                Route = Header(response, "x-adapters-route"),
                Cache = Header(response, "x-adapters-cache"),
            };
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    string error = await response.Content.ReadAsStringAsync(limit.Token);
                    return record with { End = Elapsed, Outcome = ServeOutcome.HttpError, Error = error.Length > 300 ? error[..300] : error };
                }
                return stream ? await ReadStreamAsync(record, response, sent, limit.Token) : await ReadWholeAsync(record, response, sent, limit.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return record with { End = Elapsed, Outcome = stream ? ServeOutcome.BrokenStream : ServeOutcome.NoAnswer, Error = e.Message };
            }
        }
    }

    async Task<ServeRequestRecord> ReadWholeAsync(ServeRequestRecord record, HttpResponseMessage response, double sent, CancellationToken cancel)
    {
        string text = await response.Content.ReadAsStringAsync(cancel);
        double end = Elapsed;
        int tokens = 0;
        try { tokens = JsonNode.Parse(text)?["usage"]?["completion_tokens"]?.GetValue<int>() ?? 0; }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return record with { End = end, Outcome = ServeOutcome.HttpError, Error = "the answer is not a completion: " + text[..Math.Min(200, text.Length)] };
        }
        return record with { End = end, Outcome = ServeOutcome.Completed, FirstToken = end - sent, Tokens = tokens };
    }

    /// <summary>Server-sent events: a text piece per "data:" chunk, complete at "data: [DONE]".</summary>
    async Task<ServeRequestRecord> ReadStreamAsync(ServeRequestRecord record, HttpResponseMessage response, double sent, CancellationToken cancel)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel), Encoding.UTF8);
        double? first = null, last = null;
        int pieces = 0;
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line[6..];
            if (data == "[DONE]")
            {
                double end = Elapsed;
                return record with
                {
                    End = end,
                    Outcome = ServeOutcome.Completed,
                    FirstToken = (first ?? end) - sent,
                    PerToken = pieces > 1 ? (last!.Value - first!.Value) / (pieces - 1) : null,
                    Tokens = pieces,
                };
            }
            var chunk = JsonNode.Parse(data);
            if (chunk?["error"] is { } error) return record with { End = Elapsed, Outcome = ServeOutcome.BrokenStream, Error = error.ToJsonString() };
            if (chunk?["choices"]?[0]?["text"]?.GetValue<string>() is { Length: > 0 })
            {
                double now = Elapsed;
                first ??= now;
                last = now;
                pieces++;
            }
        }
        return record with { End = Elapsed, Outcome = ServeOutcome.BrokenStream, Error = "the stream ended before [DONE]", Tokens = pieces };
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public void Dispose() => _http.Dispose();
}
