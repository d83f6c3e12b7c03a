using System.Text.Json;
using System.Text.Json.Serialization;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.TestSupport;

/// <summary>
/// The committed reference runs of tests/reference/families: one shrunk configuration per family
/// (configs/NAME.json), random weights our own init-random regenerates from a seed, and the logits
/// of an independent numpy port of Hugging Face's modeling code (reference_forward.py, run by
/// regenerate.sh) for the prefill and 16 greedy decode steps. Any engine compares against them.
/// </summary>
public sealed record FamilyReferenceCase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("init_std")] float InitStd,
    [property: JsonPropertyName("norm_std")] float NormStd,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("tokenizer")] string Tokenizer,
    [property: JsonPropertyName("prompt_ids")] int[] PromptIds)
{
    public static string Folder => Path.Combine(SharedModels.RepoRoot, "tests", "reference", "families");

    sealed record CasesFile([property: JsonPropertyName("text")] string Text, [property: JsonPropertyName("steps")] int Steps,
        [property: JsonPropertyName("cases")] FamilyReferenceCase[] Cases);

    static readonly Lazy<CasesFile> File_ = new(() =>
        JsonSerializer.Deserialize<CasesFile>(File.ReadAllText(Path.Combine(Folder, "cases.json")))!);

    public static IReadOnlyList<FamilyReferenceCase> All => File_.Value.Cases;

    /// <summary>The text whose ids are every case's prompt (with that case's tokenizer).</summary>
    public static string PromptText => File_.Value.Text;

    public static FamilyReferenceCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>Names for xunit theories.</summary>
    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

    public string ConfigPath => Path.Combine(Folder, "configs", Name + ".json");

    public LlamaConfig Config => HfModelConfig.ReadFile(ConfigPath);

    /// <summary>The tokenizer folder under ../shared/models/tokenizers.</summary>
    public string TokenizerFolder => Path.Combine(SharedModels.Root, "tokenizers", Tokenizer);

    /// <summary>Writes the case's HF folder exactly as regenerate.sh does (init-random) and returns it.</summary>
    public string WriteCheckpoint(string folder)
    {
        HfCheckpoint.Write(RandomCheckpoint.Create(Config, Seed, InitStd, NormStd), folder, DType);
        return folder;
    }

    public FamilyReferenceRun Reference => JsonSerializer.Deserialize<FamilyReferenceRun>(File.ReadAllText(Path.Combine(Folder, Name + ".reference.json")))!;
}

/// <summary>One position of a reference run: the logits of a fixed id sample, the argmax, and moments of the whole row.</summary>
public sealed record FamilyReferenceRow(
    [property: JsonPropertyName("position")] int Position,
    [property: JsonPropertyName("input_id")] int InputId,
    [property: JsonPropertyName("argmax")] int ArgMax,
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("rms")] double Rms,
    [property: JsonPropertyName("ids")] int[] Ids,
    [property: JsonPropertyName("logits")] double[] Logits)
{
    /// <summary>The largest difference between this row and an engine's full logits: sampled logits, mean and rms.</summary>
    public double MaxDifference(float[] actual)
    {
        double max = 0, sum = 0, squares = 0;
        for (int i = 0; i < Ids.Length; i++) max = Math.Max(max, Math.Abs(actual[Ids[i]] - Logits[i]));
        foreach (float v in actual) { sum += v; squares += (double)v * v; }
        max = Math.Max(max, Math.Abs(sum / actual.Length - Mean));
        return Math.Max(max, Math.Abs(Math.Sqrt(squares / actual.Length) - Rms));
    }
}

/// <summary>A reference run: prompt rows then one row per decode step; greedy_ids has the prefill's choice then each step's.</summary>
public sealed record FamilyReferenceRun(
    [property: JsonPropertyName("prompt_ids")] int[] PromptIds,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("greedy_ids")] int[] GreedyIds,
    [property: JsonPropertyName("rows")] FamilyReferenceRow[] Rows)
{
    /// <summary>Every token fed, in order: the prompt, then the greedy tokens of the decode steps.</summary>
    public int[] FedTokens => [.. PromptIds, .. GreedyIds.Take(Steps)];
}
