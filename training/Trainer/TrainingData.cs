using System.Text.Json;

namespace Adapters.Training.Trainer;

/// <summary>Reading JSONL task data and splitting off a held-out set.</summary>
public static class TrainingData
{
    /// <summary>Reads one {"prompt", "completion"} object per non-blank line; a bad line is refused naming file and line.</summary>
    public static IReadOnlyList<TrainingExample> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: training data not found", path);
        var examples = new List<TrainingExample>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            TrainingExample? example;
            try { example = JsonSerializer.Deserialize<TrainingExample>(line); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{lineNumber}: not a JSON object: {e.Message}"); }
            if (example?.Prompt is null || example.Completion is null)
                throw new InvalidDataException($"{path}:{lineNumber}: needs string fields \"prompt\" and \"completion\"");
            if (example.Completion.Length == 0)
                throw new InvalidDataException($"{path}:{lineNumber}: empty completion (there would be nothing to learn)");
            examples.Add(example);
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples");
        return examples;
    }

    /// <summary>
    /// A seeded shuffle split: round(fraction · n) examples (at least one when the fraction is
    /// positive, and at least one left to train on) go to the held-out set.
    /// </summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) Split(
        IReadOnlyList<TrainingExample> examples, double evalFraction, int seed)
    {
        if (!(evalFraction >= 0 && evalFraction < 1)) throw new ArgumentException($"eval fraction must be in [0, 1), got {evalFraction}");
        if (evalFraction == 0) return (examples, []);
        if (examples.Count < 2) throw new ArgumentException($"cannot hold out examples from a set of {examples.Count}");
        int evalCount = Math.Clamp((int)Math.Round(evalFraction * examples.Count), 1, examples.Count - 1);
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        var eval = order.Take(evalCount).Order().Select(i => examples[i]).ToList();
        var train = order.Skip(evalCount).Order().Select(i => examples[i]).ToList();
        return (train, eval);
    }
}
