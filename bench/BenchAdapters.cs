using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Bench;

/// <summary>
/// Random adapter folders for timing (values do not matter to latency, only shapes do), built
/// without TorchSharp like the runtime tests' adapters.
/// </summary>
public static class BenchAdapters
{
    /// <summary>Small enough that a random model's logits stay finite and moderate.</summary>
    const float Spread = 0.02f;

    /// <summary>ReFT rank: pyreft's default for LLaMA-scale experiments is 4.</summary>
    public const int ReftRank = 4;

    /// <summary>Edits the first and last 7 prompt tokens, as the README's training example does.</summary>
    public const string ReftPositions = "f7+l7";

    /// <summary>LoRA on all seven projections of every layer (the costliest placement).</summary>
    public static AdapterFolder Lora(LlamaWeights weights, int rank, int seed)
    {
        var config = new LoraConfig { Rank = rank, Alpha = 2 * rank, TargetModules = LlamaTensorNames.Projections.ToList() };
        return Create(weights, AdapterMethods.Lora, AdapterManifest.ToJsonObject(config), config.ExpectedTensors(weights.Config), seed);
    }

    /// <summary>LoReFT or DiReFT on every layer.</summary>
    public static AdapterFolder Reft(LlamaWeights weights, string method, int seed)
    {
        var config = new ReftConfig { Rank = ReftRank, Positions = ReftPositions };
        return Create(weights, method, AdapterManifest.ToJsonObject(config), config.ExpectedTensors(method, weights.Config), seed);
    }

    static AdapterFolder Create(LlamaWeights weights, string method, System.Text.Json.Nodes.JsonObject hyperparameters,
        IEnumerable<(string Name, int[] Shape)> expected, int seed)
    {
        var rng = new Random(seed);
        var tensors = expected.ToDictionary(e => e.Name, e =>
        {
            var data = new float[TensorData.ElementCount(e.Shape)];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * Spread;
            return new TensorData(e.Name, e.Shape, data);
        });
        var manifest = new AdapterManifest { Method = method, Hyperparameters = hyperparameters, BaseModel = ModelFingerprint.Of(weights) };
        return new AdapterFolder(manifest, tensors);
    }
}
