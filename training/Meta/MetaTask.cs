using Adapters.Training.Trainer;

namespace Adapters.Training.Meta;

/// <summary>One meta-learning task: inner steps train on <paramref name="Support"/>; FOMAML takes its outer gradient on <paramref name="Query"/> (Reptile ignores it).</summary>
public sealed record MetaTask(string Name, IReadOnlyList<TrainingExample> Support, IReadOnlyList<TrainingExample> Query);
