using Adapters.Core.Generation;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The scheduler check an export variant (quantized, GroupQueryAttention, ...) must pass unchanged:
/// requests for every adapter and for none, more than the batch's rows and with different budgets,
/// each generate what they would alone through the swappable export, and after a hot replace the
/// name serves its new version.
/// </summary>
internal static class SchedulerParity
{
    public const int NewTokens = 8;

    public static readonly int[][] Prompts = [[1, 403, 407, 261, 378], [1, 300, 271], [1, 260, 290, 310, 330, 350, 370], [1, 420]];

    /// <summary>
    /// Submits a request for every adapter and one for none, more than the scheduler's rows and with
    /// different budgets (so rows free up and are reused mid-flight), and asserts each generates what
    /// it would alone. Returns the total budget (the steps a scheduler that never batched would take).
    /// </summary>
    public static int AssertMixedRequestsMatchAlone(AdapterExportFixture exports, ContinuousBatchScheduler scheduler, AdapterRegistry single)
    {
        string?[] adapters = [.. exports.Names, null];
        var requests = adapters.Select((name, i) => (Name: name, Prompt: Prompts[i % Prompts.Length], Budget: NewTokens - i % 3)).ToList();
        var tasks = requests.Select(r => scheduler.SubmitAsync(new GenerationRequest(r.Prompt, r.Budget, r.Name))).ToList();
        Assert.True(Task.WaitAll([.. tasks], TimeSpan.FromSeconds(60)), "the scheduler did not finish");
        for (int i = 0; i < requests.Count; i++)
            Assert.Equal(Alone(exports, requests[i].Name, requests[i].Prompt, single).Take(requests[i].Budget), tasks[i].Result.Tokens);
        return requests.Sum(r => r.Budget);
    }

    /// <summary>Greedy tokens of one request run alone through the fixture's swappable export.</summary>
    public static List<int> Alone(AdapterExportFixture exports, string? adapter, int[] prompt, AdapterRegistry registry)
    {
        using var model = new OnnxAdapterModel(exports.Swappable, registry, adapter);
        return TextGenerator.GenerateTokens(model, prompt, NewTokens, SamplingOptions.Greedy).ToList();
    }

    public static void ScheduledRequestsMatchAlone_AndAReplacedAdapterServesItsNewVersion(AdapterExportFixture exports)
    {
        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var scheduler = new ContinuousBatchScheduler(exports.Batched, registry, new SchedulerOptions { MaxBatchSize = 3, CompactThreshold = 4 });
        AssertMixedRequestsMatchAlone(exports, scheduler, single);

        registry.Replace("lora-a", AdapterExportFixture.ManifestPath(exports.Batched, "lora-c"));
        var replaced = scheduler.SubmitAsync(new GenerationRequest(Prompts[0], NewTokens, "lora-a"));
        Assert.True(replaced.Wait(TimeSpan.FromSeconds(60)), "the replaced adapter's request did not finish");
        Assert.Equal(Alone(exports, "lora-c", Prompts[0], single), replaced.Result.Tokens);
        Assert.NotEqual(Alone(exports, "lora-a", Prompts[0], single), replaced.Result.Tokens);
    }
}
