using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Adapters.Training.Trainer;

/// <summary>
/// trainer_state.json of a checkpoint. The random state is fully described by the seed and
/// the next micro-batch: data order and dropout are derived from (seed, micro-batch index)
/// rather than drawn from a running generator, so nothing else needs saving.
/// </summary>
public sealed record TrainerState
{
    public const string FileName = "trainer_state.json";

    [JsonPropertyName("step")] public required int Step { get; init; }
    [JsonPropertyName("optimizer_step")] public required int OptimizerStep { get; init; }
    [JsonPropertyName("seed")] public required int Seed { get; init; }
    [JsonPropertyName("next_micro_batch")] public required long NextMicroBatch { get; init; }
    [JsonPropertyName("total_steps")] public required int TotalSteps { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("hyperparameters")] public required JsonObject Hyperparameters { get; init; }
    [JsonPropertyName("loss")] public double Loss { get; init; }
}
