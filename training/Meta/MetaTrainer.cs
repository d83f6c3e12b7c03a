using System.Diagnostics;
using Adapters.Core.Tokenizers;
using Adapters.Training.Engine;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;
using static TorchSharp.torch;

namespace Adapters.Training.Meta;

/// <summary>
/// First-order meta-learning of an adapter's initialisation θ over several small tasks (any
/// <see cref="IAdapterMethod"/>; TARP is the intended one). Per outer step and task:
/// θ' ← θ, then <see cref="MetaTrainerOptions.InnerSteps"/> SGD steps θ' ← θ' − α ∇L_support(θ');
/// the meta-gradient g (<see cref="MetaAlgorithm"/>) averaged over the step's tasks updates θ
/// with Adam. <see cref="Adapt"/> runs the same inner loop on a new task, so an initialisation
/// can be judged by its loss after a few steps. The base model stays frozen throughout.
/// Batches are drawn from a generator seeded by (seed, outer step, task, inner step).
/// </summary>
public sealed class MetaTrainer
{
    readonly LlamaModel _model;
    readonly IAdapterMethod _method;
    readonly ITokenizer _tokenizer;

    /// <summary>Borrows the model and the method (attached here if it is not yet).</summary>
    public MetaTrainer(LlamaModel model, IAdapterMethod method, ITokenizer tokenizer, MetaTrainerOptions options)
    {
        Options = options.Validate();
        if (method.AttachedModel is null) method.Attach(model);
        else if (!ReferenceEquals(method.AttachedModel, model)) throw new ArgumentException("the adapter method is attached to a different model");
        _model = model;
        _method = method;
        _tokenizer = tokenizer;
    }

    public MetaTrainerOptions Options { get; }

    /// <summary>Meta-trains the method's parameters in place; they end as the learned initialisation.</summary>
    public MetaTrainingResult MetaTrain(IReadOnlyList<MetaTask> tasks, Action<int, double>? progress = null)
    {
        if (tasks.Count == 0) throw new ArgumentException("meta-training needs at least one task");
        foreach (var t in tasks)
        {
            if (t.Support.Count == 0) throw new ArgumentException($"task '{t.Name}' has no support examples");
            if (Options.Algorithm == MetaAlgorithm.Fomaml && t.Query.Count == 0) throw new ArgumentException($"task '{t.Name}' has no query examples (FOMAML needs them)");
        }
        TorchThreads.Apply(Options.Threads);
        var encoded = tasks.Select(t => (Support: Encode(t.Support), Query: Encode(t.Query))).ToList();
        var clock = Stopwatch.StartNew();
        using var outer = new AdamW(_method.Parameters, 0.9, 0.999, 1e-8, 0);
        double adaptedLoss = double.NaN;
        for (int step = 0; step < Options.OuterSteps; step++)
        {
            var metaGradient = _method.Parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToList();
            double lossSum = 0;
            for (int j = 0; j < Options.TasksPerStep; j++)
            {
                int taskIndex = (step * Options.TasksPerStep + j) % tasks.Count;
                var (support, query) = encoded[taskIndex];
                var start = Snapshot();
                lossSum += InnerLoop(support, Options.InnerSteps, seed: ((long)step * tasks.Count + taskIndex) * 1000);
                using (NewDisposeScope())
                using (no_grad())
                {
                    if (Options.Algorithm == MetaAlgorithm.Reptile)
                        for (int i = 0; i < metaGradient.Count; i++) metaGradient[i].add_(start[i] - _method.Parameters[i].Parameter);
                    else
                    {
                        using (enable_grad()) Backward(Batch(query, step * 7919L + taskIndex));
                        for (int i = 0; i < metaGradient.Count; i++)
                            if (_method.Parameters[i].Parameter.grad is { } g) metaGradient[i].add_(g);
                    }
                    Restore(start);
                }
                foreach (var t in start) t.Dispose();
            }
            // Feed g / tasks to Adam as θ's gradient through the surrogate Σ θ ⊙ g.
            ZeroGrad();
            using (var scope = NewDisposeScope())
            {
                var surrogate = _method.Parameters.Select((p, i) => (p.Parameter * metaGradient[i] / Options.TasksPerStep).sum()).Aggregate((a, b) => a + b);
                surrogate.backward();
            }
            outer.Step(Options.OuterLearningRate);
            ZeroGrad();
            foreach (var g in metaGradient) g.Dispose();
            adaptedLoss = lossSum / Options.TasksPerStep;
            progress?.Invoke(step + 1, adaptedLoss);
        }
        return new MetaTrainingResult(Options.OuterSteps, adaptedLoss, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Adapts the method's parameters in place with <paramref name="steps"/> inner SGD steps on
    /// <paramref name="support"/> (the meta-test inner loop); returns the last step's loss.
    /// </summary>
    public double Adapt(IReadOnlyList<TrainingExample> support, int steps, long seed = 0)
    {
        if (support.Count == 0) throw new ArgumentException("adaptation needs support examples");
        if (steps <= 0) throw new ArgumentException($"adaptation steps must be positive, got {steps}");
        TorchThreads.Apply(Options.Threads);
        return InnerLoop(Encode(support), steps, seed);
    }

    /// <summary>Mean completion loss on <paramref name="examples"/> with the current parameters.</summary>
    public double EvalLoss(IReadOnlyList<TrainingExample> examples) => CompletionLoss.Mean(_model, _method, Encode(examples), Options.BatchSize);

    /// <summary>Plain SGD; returns the mean loss of the last step.</summary>
    double InnerLoop(IReadOnlyList<TokenizedExample> support, int steps, long seed)
    {
        _method.Training = true;
        double loss = double.NaN;
        for (int k = 0; k < steps; k++)
        {
            loss = Backward(Batch(support, seed + k));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var grads = _method.Parameters.Select(p => p.Parameter.grad).OfType<Tensor>().ToList();
            double norm = Math.Sqrt(grads.Sum(g => g.pow(2).sum().to(ScalarType.Float64).item<double>()));
            // torch.nn.utils.clip_grad_norm_'s rule, folded into the step size
            double rate = Options.InnerMaxGradNorm > 0 && norm > Options.InnerMaxGradNorm
                ? Options.InnerLearningRate * Options.InnerMaxGradNorm / (norm + 1e-6) : Options.InnerLearningRate;
            foreach (var (_, p) in _method.Parameters)
                if (p.grad is { } g) p.sub_(g * rate);
        }
        ZeroGrad();
        return loss;
    }

    /// <summary>Zeroes gradients, then backpropagates the batch's mean completion loss; returns it.</summary>
    double Backward(List<TokenizedExample> rows)
    {
        ZeroGrad();
        using var scope = NewDisposeScope();
        using var batch = TrainingBatch.Create(rows, _model.DType, _model.Device);
        var loss = CompletionLoss.Sum(_model, _method, batch) / Math.Max(1, batch.ScoredTokens);
        loss.backward();
        return loss.to(ScalarType.Float64).item<double>();
    }

    List<TokenizedExample> Batch(IReadOnlyList<TokenizedExample> examples, long seed)
    {
        var random = new Random((int)(seed % int.MaxValue) ^ Options.Seed);
        return Enumerable.Range(0, Math.Min(Options.BatchSize, examples.Count)).Select(_ => examples[random.Next(examples.Count)]).ToList();
    }

    void ZeroGrad()
    {
        foreach (var (_, p) in _method.Parameters) p.grad?.zero_();
    }

    List<Tensor> Snapshot()
    {
        using var noGrad = no_grad();
        return _method.Parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope()).ToList();
    }

    void Restore(List<Tensor> values)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < values.Count; i++) _method.Parameters[i].Parameter.copy_(values[i]);
    }

    List<TokenizedExample> Encode(IReadOnlyList<TrainingExample> examples)
    {
        var result = examples.Select(e => TokenizedExample.Encode(_tokenizer, e)).ToList();
        int longest = result.Count == 0 ? 0 : result.Max(t => t.Tokens.Length);
        if (longest > _model.Config.MaxSeqLen)
            throw new ArgumentException($"an example is {longest} tokens, longer than the model's context of {_model.Config.MaxSeqLen}");
        return result;
    }
}
