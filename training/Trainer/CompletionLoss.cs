using Adapters.Training.Methods;
using Adapters.Training.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Trainer;

/// <summary>The training objective: cross-entropy of completion tokens only (prompt and padding masked out).</summary>
public static class CompletionLoss
{
    /// <summary>
    /// Σ over scored targets of −log p(target), a scalar tensor with a graph back to the adapter.
    /// Declares the batch's prompt lengths to <paramref name="method"/> (when given) first.
    /// </summary>
    public static Tensor Sum(LlamaModel model, IAdapterMethod? method, TrainingBatch batch)
    {
        method?.SetPromptLengths(batch.PromptLengths);
        var hidden = model.HiddenStates(batch.InputIds);                              // [batch, seq, dim]
        // Only scored positions reach the classifier (the same sum, without the vocabulary-wide
        // logits of prompt and padding positions).
        var mask = batch.LossMask.reshape(-1);                                        // [batch · seq]
        var scored = mask.nonzero().reshape(-1);                                      // [n]
        var logits = model.Classify(hidden.reshape(-1, hidden.shape[2]).index_select(0, scored)); // [n, vocab]
        var perToken = nn.functional.cross_entropy(logits, batch.Targets.reshape(-1).index_select(0, scored),
            reduction: nn.Reduction.None);                                            // [n]
        return (perToken * mask.index_select(0, scored)).sum();
    }

    /// <summary>
    /// Mean over all completion tokens of <paramref name="examples"/>, batches of
    /// <paramref name="batchSize"/>, no gradients; a method is switched to evaluation mode
    /// meanwhile. With no method attached this is the base model's loss.
    /// </summary>
    public static double Mean(LlamaModel model, IAdapterMethod? method, IReadOnlyList<TokenizedExample> examples, int batchSize)
    {
        bool wasTraining = method?.Training ?? false;
        if (method is not null) method.Training = false;
        try
        {
            using var noGrad = no_grad();
            double total = 0;
            long scored = 0;
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                using var batch = TrainingBatch.Create(examples.Skip(start).Take(batchSize).ToList(), model.DType, model.Device);
                total += Sum(model, method, batch).to(ScalarType.Float64).item<double>();
                scored += batch.ScoredTokens;
            }
            return total / Math.Max(scored, 1);
        }
        finally { if (method is not null) method.Training = wasTraining; }
    }
}
