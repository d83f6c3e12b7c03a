using System.Text.Json.Nodes;

namespace Adapters.Training.Trainer;

/// <summary>One `adapters train` run, typed: what to train on which data, and how (<see cref="TrainingRun"/>).</summary>
public sealed record TrainingRunOptions
{
    /// <summary>llama2.c .bin or Hugging Face folder.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Tokenizer file; null = the one beside the checkpoint.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Method name (core's AdapterMethods) and its config as manifest JSON; checked against the model's shape.</summary>
    public required string Method { get; init; }
    public required JsonObject Hyperparameters { get; init; }

    /// <summary>JSONL training data; held-out data from <see cref="EvalDataPath"/>, else a seeded <see cref="EvalFraction"/> of it.</summary>
    public required string DataPath { get; init; }
    public string? EvalDataPath { get; init; }
    public double EvalFraction { get; init; } = 0.1;

    /// <summary>Optimizer, schedule, seed and the run folder (<see cref="TrainerOptions.OutputDir"/>).</summary>
    public required TrainerOptions Trainer { get; init; }

    /// <summary>LoRA only: also write OutputDir/peft in Hugging Face PEFT layout.</summary>
    public bool WritePeft { get; init; }
}
