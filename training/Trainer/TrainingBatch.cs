using static TorchSharp.torch;

namespace Adapters.Training.Trainer;

/// <summary>
/// Right-padded next-token batch. For a row of tokens t0..tn−1: inputs t0..tn−2, targets
/// t1..tn−1; target j is scored iff token j + 1 is trained (a completion or assistant token) and not
/// padding. Prompt lengths are those of the inputs, for ReFT's position masks.
/// </summary>
public sealed class TrainingBatch : IDisposable
{
    /// <summary>Padding id; never scored, never intervened on (any in-vocabulary id would do).</summary>
    public const int PadId = 0;

    TrainingBatch(Tensor inputIds, Tensor targets, Tensor lossMask, int[] promptLengths, int scoredTokens, int inputTokens)
    {
        InputIds = inputIds;
        Targets = targets;
        LossMask = lossMask;
        PromptLengths = promptLengths;
        ScoredTokens = scoredTokens;
        InputTokens = inputTokens;
    }

    public Tensor InputIds { get; }      // [batch, seq] int64
    public Tensor Targets { get; }       // [batch, seq] int64
    public Tensor LossMask { get; }      // [batch, seq] model dtype, 1 where the target is scored
    public int[] PromptLengths { get; }  // [batch]
    public int ScoredTokens { get; }
    /// <summary>Non-padding input tokens (what tokens/s counts).</summary>
    public int InputTokens { get; }

    public static TrainingBatch Create(IReadOnlyList<TokenizedExample> rows, ScalarType dtype, Device device)
    {
        if (rows.Count == 0) throw new ArgumentException("a batch needs at least one example");
        int seq = rows.Max(r => r.Tokens.Length) - 1;
        if (seq <= 0) throw new ArgumentException("every example needs at least two tokens");
        var inputs = new long[rows.Count * seq];
        var targets = new long[rows.Count * seq];
        var mask = new float[rows.Count * seq];
        Array.Fill(inputs, PadId);
        Array.Fill(targets, PadId);
        int scored = 0, inputTokens = 0;
        for (int row = 0; row < rows.Count; row++)
        {
            var tokens = rows[row].Tokens;
            for (int j = 0; j < tokens.Length - 1; j++)
            {
                inputs[row * seq + j] = tokens[j];
                targets[row * seq + j] = tokens[j + 1];
                if (rows[row].IsTrained(j + 1)) { mask[row * seq + j] = 1; scored++; }
            }
            inputTokens += tokens.Length - 1;
        }
        return new TrainingBatch(
            tensor(inputs, [rows.Count, seq], device: device).DetachFromDisposeScope(),
            tensor(targets, [rows.Count, seq], device: device).DetachFromDisposeScope(),
            tensor(mask, [rows.Count, seq]).to(dtype, device).DetachFromDisposeScope(),
            rows.Select(r => r.PromptLength).ToArray(), scored, inputTokens);
    }

    public void Dispose()
    {
        InputIds.Dispose();
        Targets.Dispose();
        LossMask.Dispose();
    }
}
