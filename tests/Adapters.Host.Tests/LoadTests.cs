using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Adapters.Host.Tests;

/// <summary>
/// The issue's load test, bounded: 16 clients for 20 s mix four adapters while an admin client
/// replaces, unloads and reloads them every 200 ms. No 5xx, every answer is the reference text of
/// an adapter version that was live while the request ran (versions write distinct texts, so a
/// mixed-up answer cannot pass), and managed memory returns near its start level afterwards.
/// </summary>
[Collection(IsolatedLoadCollection.Name)]
public sealed class LoadTests(AdapterServer fixture, ITestOutputHelper output)
{
    const int Clients = 16;

    /// <summary>The issue asks for 20 s; the suite budget allows it.</summary>
    static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    static readonly TimeSpan AdminInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Generous: stories260K adapters are kilobytes, so a leak of versions or rows over thousands of requests would show as far more, while pools and JIT warm-up stay below.</summary>
    const long MemoryToleranceBytes = 32L * 1024 * 1024;

    /// <summary>Every fifth admin action unloads (the next one loads back); the others replace.</summary>
    const int UnloadEvery = 5;

    static readonly string[] Names = ["load-0", "load-1", "load-2", "load-3"];

    /// <summary>From <see cref="Start"/> to <see cref="End"/> the admin call that made <see cref="Version"/> (null = unloaded) current was running.</summary>
    sealed record Change(long Start, long End, string? Version);

    sealed record Outcome(string Name, int Prompt, long Start, long End, HttpStatusCode Status, string? Text);

    [Fact]
    public async Task Sixteen_clients_mixing_four_adapters_while_they_are_swapped_get_no_5xx_and_no_mixed_up_outputs()
    {
        using var client = HttpHelpers.NewClient(fixture.Server.Url);
        var history = Names.ToDictionary(n => n, _ => new List<Change>());
        var current = new string?[Names.Length];
        for (int k = 0; k < Names.Length; k++)
        {
            current[k] = $"v{k}";
            await AdminAsync(client, Names[k], current[k]);
            history[Names[k]].Add(new Change(long.MinValue, Stopwatch.GetTimestamp(), current[k]));
        }
        foreach (string name in Names) await CompleteAsync(client, name, 0); // warm-up: JIT, pools
        long memoryBefore = ManagedMemory();

        var outcomes = new ConcurrentQueue<Outcome>();
        var deadline = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (int n = 0; deadline.Elapsed < Duration; n++)
            {
                string name = Names[(c + n) % Names.Length];
                int prompt = (c + n / Names.Length) % AdapterServer.Prompts.Length;
                long start = Stopwatch.GetTimestamp();
                var (status, text) = await CompleteAsync(client, name, prompt);
                outcomes.Enqueue(new Outcome(name, prompt, start, Stopwatch.GetTimestamp(), status, text));
            }
        })).ToArray();
        int adminCalls = 0;
        var admin = Task.Run(async () =>
        {
            for (int i = 0; deadline.Elapsed < Duration; i++)
            {
                await Task.Delay(AdminInterval);
                int k = i % Names.Length;
                string? next = current[k] is null ? $"v{(i + k) % AdapterServer.Versions}"
                    : i % UnloadEvery == UnloadEvery - 1 ? null
                    : $"v{(int.Parse(current[k]![1..]) + 1 + i % 3) % AdapterServer.Versions}";
                long start = Stopwatch.GetTimestamp();
                await AdminAsync(client, Names[k], next);
                lock (history) history[Names[k]].Add(new Change(start, Stopwatch.GetTimestamp(), next));
                current[k] = next;
                adminCalls++;
            }
        });
        await Task.WhenAll([.. clients, admin]);

        for (int k = 0; k < Names.Length; k++)
            if (current[k] is not null) await AdminAsync(client, Names[k], null);
        long memoryAfter = ManagedMemory();

        var all = outcomes.ToList();
        int serverErrors = all.Count(o => (int)o.Status >= 500);
        var mixedUp = all.Where(o => !Plausible(o, history[o.Name])).ToList();
        output.WriteLine($"requests: {all.Count} ({all.Count(o => o.Status == HttpStatusCode.OK)} ok, {all.Count(o => o.Status == HttpStatusCode.NotFound)} not found while unloaded), " +
            $"5xx: {serverErrors}, mixed up: {mixedUp.Count}, admin calls: {adminCalls}, " +
            $"managed memory before: {memoryBefore / 1024} KiB, after: {memoryAfter / 1024} KiB");

        Assert.Equal(0, serverErrors);
        Assert.Empty(mixedUp.Select(o => $"{o.Name} prompt {o.Prompt}: {o.Status} '{o.Text}'"));
        Assert.All(all, o => Assert.True(o.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"unexpected {(int)o.Status}"));
        Assert.True(all.Count(o => o.Status == HttpStatusCode.OK) >= Clients * 10, $"only {all.Count} requests in {Duration.TotalSeconds} s");
        Assert.True(adminCalls >= Duration / AdminInterval / 2, $"only {adminCalls} admin calls");
        Assert.True(memoryAfter - memoryBefore < MemoryToleranceBytes, $"managed memory grew from {memoryBefore:N0} to {memoryAfter:N0} bytes");
        Assert.DoesNotContain(Names, n => fixture.Backend.Registry.Contains(n));
    }

    /// <summary>
    /// True when the answer is what a version live during the request gives: change j's version
    /// may be current from its call's start until the next change's call has ended.
    /// </summary>
    bool Plausible(Outcome o, List<Change> changes)
    {
        string? version;
        if (o.Status == HttpStatusCode.NotFound) version = null;
        else if (o.Status != HttpStatusCode.OK) return true; // counted separately
        else
        {
            var match = fixture.Expected.Where(e => e.Key.Prompt == o.Prompt && e.Value == o.Text).Select(e => e.Key.Version).ToList();
            if (match.Count != 1) return false; // text of no version at all
            version = match[0];
        }
        for (int j = 0; j < changes.Count; j++)
        {
            long until = j + 1 < changes.Count ? changes[j + 1].End : long.MaxValue;
            if (changes[j].Version == version && changes[j].Start <= o.End && until >= o.Start) return true;
        }
        return false;
    }

    static async Task<(HttpStatusCode, string?)> CompleteAsync(HttpClient client, string name, int prompt)
    {
        using var response = await client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(name, AdapterServer.Prompts[prompt], AdapterServer.MaxTokens));
        string body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) return (response.StatusCode, body);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    /// <summary>Loads <paramref name="version"/> under <paramref name="name"/> (load or replace), or unloads it when null.</summary>
    async Task AdminAsync(HttpClient client, string name, string? version)
    {
        using var response = version is null
            ? await client.PostJsonAsync("/v1/unload_lora_adapter", $"{{\"lora_name\": \"{name}\"}}", AdapterServer.AdminToken)
            : await client.PostJsonAsync("/v1/load_lora_adapter",
                $"{{\"lora_name\": \"{name}\", \"lora_path\": {JsonSerializer.Serialize(fixture.VersionManifest(int.Parse(version[1..])))}}}", AdapterServer.AdminToken);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"admin {name} → {version ?? "unload"}: {(int)response.StatusCode} {body}");
    }

    /// <summary>
    /// Bytes that survive a full blocking, compacting collection: what the process still holds.
    /// Read from the collection itself (PromotedBytes): GC.GetTotalMemory after the same
    /// collections at times reported ~72 MB less than the collection promoted (32 MB against
    /// 104 MB in one run, agreeing to the KiB in others), so a later reading could "grow" by that
    /// much with nothing retained.
    /// </summary>
    static long ManagedMemory()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).PromotedBytes;
    }
}
