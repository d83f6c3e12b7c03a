using System.Collections.Concurrent;
using Adapters.Core.Generation;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// Continuous batching: requests for different adapters share decode steps, join and leave
/// between steps, and each generates what it would generate alone — also while adapters are
/// replaced and unloaded under it.
/// </summary>
[Collection(AdapterServingCollection.Name)]
public sealed class ContinuousBatchSchedulerTests(AdapterExportFixture exports)
{
    const int NewTokens = SchedulerParity.NewTokens;
    const int Swaps = 100;
    static readonly TimeSpan HotSwapBound = TimeSpan.FromSeconds(60);
    static readonly int[][] Prompts = SchedulerParity.Prompts;

    List<int> Alone(string? adapter, int[] prompt, AdapterRegistry registry) => SchedulerParity.Alone(exports, adapter, prompt, registry);

    [Fact]
    public void RequestsJoiningAndLeaving_EachGenerateWhatTheyWouldAlone()
    {
        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 3, CompactThreshold = 4 });

        int totalBudget = SchedulerParity.AssertMixedRequestsMatchAlone(exports, scheduler, single);
        Assert.True(scheduler.Steps < totalBudget, "requests were not batched together");
    }

    [Fact]
    public void HotSwap_FourThreadsGenerateWhileAdaptersAreReplacedAndUnloaded_AndEachGetsItsStartingVersion()
    {
        string[] versions = ["lora-a", "loreft", "direft-untied", "lora-c"];
        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        var expected = versions.Cast<string?>().Append(null)
            .SelectMany(v => Prompts.Select((p, i) => (Key: (v, i), Tokens: Alone(v, p, single))))
            .ToDictionary(e => e.Key, e => e.Tokens);

        var registry = new AdapterRegistry(exports.Batched.Exported);
        string PathOf(string version) => AdapterExportFixture.ManifestPath(exports.Batched, version);
        registry.Load("hot", PathOf(versions[0]));
        registry.Load("cold", PathOf(versions[1]));
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 4, CompactThreshold = 8 });

        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var versionsSeen = new ConcurrentDictionary<long, string>();
        int completed = 0, refusedAtSubmit = 0;
        string?[] workerAdapters = ["hot", "cold", "hot", null];
        var workers = workerAdapters.Select((name, w) => Task.Run(async () =>
        {
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                int prompt = (w + n) % Prompts.Length;
                Task<GenerationResult> request;
                try { request = scheduler.SubmitAsync(new GenerationRequest(Prompts[prompt], NewTokens, name)); }
                catch (AdapterNotFoundException) { Interlocked.Increment(ref refusedAtSubmit); continue; } // "cold" between unload and reload
                try
                {
                    var result = await request;
                    string? version = result.Adapter?.Manifest.Name;
                    if (result.Adapter is { } used) versionsSeen[used.Id] = used.Name;
                    if (!result.Tokens.SequenceEqual(expected[(version, prompt)]))
                        failures.Enqueue($"{name ?? "base"} as {version ?? "base"} on prompt {prompt}: [{string.Join(", ", result.Tokens)}] != [{string.Join(", ", expected[(version, prompt)])}]");
                    Interlocked.Increment(ref completed);
                }
                catch (Exception e) { failures.Enqueue($"{name} failed: {e.Message}"); }
            }
        })).ToArray();

        var swapper = Task.Run(() =>
        {
            for (int i = 1; i <= Swaps; i++)
            {
                // One swap per completed request at most, so swaps and generation really interleave.
                var deadline = DateTime.UtcNow + HotSwapBound;
                while (Volatile.Read(ref completed) < i / 2 && DateTime.UtcNow < deadline) Thread.Sleep(1);
                if (i % 10 == 0)
                {
                    registry.Unload("cold");
                    Thread.Sleep(1);
                    registry.Load("cold", PathOf(versions[i / 10 % versions.Length]));
                }
                else registry.Replace("hot", PathOf(versions[i % versions.Length]));
            }
        });
        bool swapped = swapper.Wait(HotSwapBound);
        stop.Cancel();
        bool finished = Task.WaitAll(workers, HotSwapBound);

        Assert.True(swapped && finished, "hot swap did not finish in time");
        Assert.Empty(failures);
        Assert.True(completed >= Swaps / 2, $"only {completed} requests completed during {Swaps} swaps");
        Assert.True(versionsSeen.Count >= 10, $"requests ran on only {versionsSeen.Count} adapter versions ({refusedAtSubmit} refused at submission)");
    }

    /// <summary>Far more tokens than a test waits for: a request with this budget is still running when it is cancelled.</summary>
    const int LongBudget = 400;

    /// <summary>Per-token delay that keeps a <see cref="LongBudget"/> request running for seconds, however fast the runtime is.</summary>
    const int SlowTokenMs = 5;

    [Fact]
    public async Task Streaming_DeliversEachTokenBeforeTheRequestCompletes_AndTheSameTokensAsTheResult()
    {
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 2 });
        var streamed = new List<int>();
        Task<GenerationResult>? task = null;
        bool completedEarly = false;
        task = scheduler.SubmitAsync(new GenerationRequest(Prompts[0], NewTokens, "lora-a")
        {
            OnToken = t =>
            {
                streamed.Add(t);
                completedEarly |= task?.IsCompleted == true;
            },
        });
        var result = await task.WaitAsync(HotSwapBound);

        Assert.Equal(result.Tokens, streamed);
        Assert.False(completedEarly, "a token arrived after the request had completed");
        Assert.Equal(Alone("lora-a", Prompts[0], AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported)), streamed);
    }

    [Fact]
    public async Task CancellingARunningRequest_RemovesItsRowAtTheNextStep_ReleasesItsLease_AndLeavesOthersExact()
    {
        const int CancelAfter = 3;
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 2 });
        using var cancel = new CancellationTokenSource();
        var streamed = new List<int>();
        // Cancelled from the token callback, so exactly CancelAfter tokens are produced before the row leaves.
        var doomed = scheduler.SubmitAsync(new GenerationRequest(Prompts[0], LongBudget, "loreft")
        {
            OnToken = t =>
            {
                streamed.Add(t);
                if (streamed.Count == CancelAfter) cancel.Cancel();
            },
        }, cancel.Token);
        var neighbour = scheduler.SubmitAsync(new GenerationRequest(Prompts[1], NewTokens, "lora-b"));
        registry.Unload("loreft"); // from now on only the doomed request's lease keeps its version in memory
        long leasedBytes = registry.ResidentBytes;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed.WaitAsync(HotSwapBound));
        var result = await neighbour.WaitAsync(HotSwapBound);

        Assert.Equal(CancelAfter, streamed.Count);
        Assert.Equal(1, scheduler.Cancelled);
        Assert.True(registry.ResidentBytes < leasedBytes, "the cancelled request still holds its adapter version");
        Assert.Equal(Alone("lora-b", Prompts[1], AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported)), result.Tokens);
        Assert.Equal(0, scheduler.ActiveRows);
    }

    [Fact]
    public async Task CancellingAWaitingRequest_RemovesItFromTheQueue_WithoutRunningIt()
    {
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 1 });
        using var cancel = new CancellationTokenSource();
        int waitingTokens = 0;
        var firstToken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new CancellationTokenSource();
        // Each token takes a few ms on purpose: on a fast runtime 400 tokens of the 260K model take
        // ~0.1 s, less than a busy CI machine may need to resume this test after the first token.
        var running = scheduler.SubmitAsync(new GenerationRequest(Prompts[0], LongBudget)
        {
            OnToken = _ =>
            {
                firstToken.TrySetResult();
                Thread.Sleep(SlowTokenMs);
            },
        }, release.Token);
        var waiting = scheduler.SubmitAsync(new GenerationRequest(Prompts[1], NewTokens, "direft") { OnToken = _ => waitingTokens++ }, cancel.Token);
        await Task.WhenAny(firstToken.Task, running).WaitAsync(HotSwapBound);
        Assert.False(running.IsCompleted, $"the long request ended early: {running.Exception?.GetBaseException()}");

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(HotSwapBound));
        Assert.False(running.IsCompleted, "the running request should still be generating");
        release.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(HotSwapBound));

        Assert.Equal(0, waitingTokens);
        Assert.Equal(2, scheduler.Cancelled);
        Assert.Equal(0, scheduler.Waiting);
    }

    [Fact]
    public async Task StepCompleted_ReportsTheBatchSizeOfEveryStep()
    {
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 4 });
        var steps = new ConcurrentQueue<SchedulerStep>();
        scheduler.StepCompleted += steps.Enqueue;
        string?[] adapters = ["lora-a", "lora-b", "loreft", null];
        await Task.WhenAll(adapters.Select((a, i) => scheduler.SubmitAsync(new GenerationRequest(Prompts[i], NewTokens, a)))).WaitAsync(HotSwapBound);

        Assert.Equal(scheduler.Steps, steps.Count);
        Assert.All(steps, s => Assert.InRange(s.BatchSize, 1, 4));
        Assert.Contains(steps, s => s.BatchSize > 1);
        Assert.Equal(adapters.Length, steps.Sum(s => s.PrefillRows));
    }

    [Fact]
    public async Task AfterTheBatchWasFull_ALoneRequestAtATimeKeepsTheCacheShort_AndGeneratesWhatItWouldAlone()
    {
        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        const int threshold = 8;
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 4, CompactThreshold = threshold });

        // Every row used once, then freed: rows 1..3 sit idle from here on.
        await Task.WhenAll(Prompts.Select(p => scheduler.SubmitAsync(new GenerationRequest(p, NewTokens, null))));

        // One request at a time takes row 0 again and again. The idle rows must not pin the old
        // cache slots: compaction keeps the cache near one request's length instead of the session's age.
        var expected = Alone(null, Prompts[0], single);
        int longest = 0;
        for (int i = 0; i < 30; i++)
        {
            var result = await scheduler.SubmitAsync(new GenerationRequest(Prompts[0], NewTokens, null));
            Assert.Equal(expected, result.Tokens);
            longest = Math.Max(longest, scheduler.CacheLength);
        }
        Assert.True(longest <= threshold + Prompts[0].Length + NewTokens,
            $"the cache grew to {longest} slots for requests of {Prompts[0].Length} + {NewTokens} tokens (compaction threshold {threshold})");
    }
}
