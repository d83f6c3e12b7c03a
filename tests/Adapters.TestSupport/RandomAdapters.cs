using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.TestSupport;

/// <summary>
/// Adapter folders with random values for stories260K, built without TorchSharp: runtime and host tests
/// need adapters that change the output, not trained ones.
/// </summary>
public static class RandomAdapters
{
    /// <summary>Large enough to change greedy text, small enough to keep logits moderate.</summary>
    const float Spread = 0.3f;

    public static AdapterFolder Lora(LlamaWeights weights, int seed, int rank = 4, string[]? targets = null)
    {
        var config = new LoraConfig { Rank = rank, Alpha = 2 * rank, TargetModules = targets ?? ["q_proj", "v_proj", "down_proj"] };
        return Create(weights, AdapterMethods.Lora, AdapterManifest.ToJsonObject(config), config.ExpectedTensors(weights.Config), seed);
    }

    public static AdapterFolder Reft(LlamaWeights weights, string method, int seed, int rank = 4, bool untied = false, int[]? layers = null)
    {
        var config = new ReftConfig { Rank = rank, Positions = "f3+l3", Untied = untied, Layers = layers ?? [1, 3] };
        return Create(weights, method, AdapterManifest.ToJsonObject(config), config.ExpectedTensors(method, weights.Config), seed);
    }

    static AdapterFolder Create(LlamaWeights weights, string method, System.Text.Json.Nodes.JsonObject hyperparameters,
        IEnumerable<(string Name, int[] Shape)> expected, int seed)
    {
        var rng = new Random(seed);
        var tensors = expected.ToDictionary(e => e.Name,
            e => new TensorData(e.Name, e.Shape, Enumerable.Range(0, (int)TensorData.ElementCount(e.Shape)).Select(_ => (float)(rng.NextDouble() * 2 - 1) * Spread).ToArray()));
        var manifest = new AdapterManifest { Method = method, Hyperparameters = hyperparameters, BaseModel = ModelFingerprint.Of(weights) };
        return new AdapterFolder(manifest, tensors);
    }
}
