using System.Diagnostics;
using System.Text.Json.Nodes;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Training.Engine;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Trainer;

/// <summary>
/// Trains one adapter method on prompt/completion data with the base model frozen: loss is the
/// mean cross-entropy of completion tokens (prompt and padding masked out), AdamW with linear
/// warmup and cosine decay, gradient accumulation and norm clipping, periodic held-out loss,
/// atomic checkpoints and exact resume.
/// <para>
/// Determinism: micro-batch k (0-based, over the whole run) takes examples k·B .. k·B+B−1 of an
/// endless stream that visits the training set in a fresh seeded permutation per epoch, and
/// draws its dropout masks from a generator seeded from (seed, k) (<see cref="AdapterDropout"/>). A run
/// resumed from a checkpoint therefore sees exactly the batches and masks it would have seen.
/// </para>
/// </summary>
public sealed class AdapterTrainer
{
    readonly LlamaModel _model;
    readonly IAdapterMethod _method;
    readonly ITokenizer _tokenizer;
    readonly ModelFingerprint _baseModel;
    readonly Dictionary<long, int[]> _epochOrders = [];

    /// <summary>
    /// Borrows the model and the method (attached to the model here if it is not yet).
    /// <paramref name="baseModel"/> is the fingerprint of the weights the model was built from,
    /// recorded in every adapter and checkpoint written.
    /// </summary>
    public AdapterTrainer(LlamaModel model, IAdapterMethod method, ITokenizer tokenizer, TrainerOptions options, ModelFingerprint baseModel)
    {
        Options = options.Validate();
        if (method.AttachedModel is null) method.Attach(model);
        else if (!ReferenceEquals(method.AttachedModel, model)) throw new ArgumentException("the adapter method is attached to a different model");
        _model = model;
        _method = method;
        _tokenizer = tokenizer;
        _baseModel = baseModel;
    }

    public TrainerOptions Options { get; }

    public string? CheckpointDir => Options.OutputDir is { } dir ? Path.Combine(dir, "checkpoint") : null;
    public string? AdapterDir => Options.OutputDir is { } dir ? Path.Combine(dir, "adapter") : null;

    public long TrainableParameterCount => _method.Parameters.Sum(p => p.Parameter.numel());

    /// <summary>
    /// Runs optimizer steps up to <see cref="TrainerOptions.Steps"/> (from the last checkpoint
    /// when resuming). <paramref name="progress"/> is called after every step, after any
    /// checkpoint of that step is on disk; cancelling stops before the next step.
    /// </summary>
    public TrainingResult Train(IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? eval = null,
        Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        if (train.Count == 0) throw new ArgumentException("no training examples");
        TorchThreads.Apply(Options.Threads);
        var trainSet = Tokenize(train, "training");
        var evalSet = eval is { Count: > 0 } ? Tokenize(eval, "held-out") : null;
        using var optimizer = new AdamW(_method.Parameters, Options.Beta1, Options.Beta2, Options.Epsilon, Options.WeightDecay);

        int startStep = 0;
        if (Options.Resume && CheckpointDir is { } resumeDir && TrainingCheckpoint.Exists(resumeDir))
        {
            var state = TrainingCheckpoint.Read(resumeDir, _method, optimizer, _model.Config, _baseModel);
            if (state.Seed != Options.Seed) throw new ArgumentException($"checkpoint was trained with seed {state.Seed}, this run has seed {Options.Seed}");
            startStep = state.Step;
        }

        double loss = double.NaN;
        double? evalLoss = null;
        long trainedTokens = 0;
        var trainingTime = new Stopwatch();
        for (int step = startStep + 1; step <= Options.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            trainingTime.Start();
            (loss, int tokens) = TrainStep(step, trainSet, optimizer);
            trainingTime.Stop();
            trainedTokens += tokens;
            double tokensPerSecond = tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);

            bool evaluate = evalSet is not null && (step == Options.Steps || (Options.EvalEvery > 0 && step % Options.EvalEvery == 0));
            double? stepEval = evaluate ? EvalLoss(evalSet!) : null;
            if (stepEval is not null) evalLoss = stepEval;

            if (Options.CheckpointEvery > 0 && step % Options.CheckpointEvery == 0 && step < Options.Steps)
                TrainingCheckpoint.Write(CheckpointDir!, _method, optimizer, new TrainerState
                {
                    Step = step, OptimizerStep = optimizer.StepCount, Seed = Options.Seed,
                    NextMicroBatch = (long)step * Options.GradAccum, TotalSteps = Options.Steps,
                    Method = _method.Name, Hyperparameters = _method.Hyperparameters, Loss = loss,
                }, _baseModel);

            progress?.Invoke(new TrainingProgress(step, Options.Steps, loss, stepEval, Options.LearningRateAt(step), tokensPerSecond));
        }
        if (startStep >= Options.Steps && evalSet is not null) evalLoss = EvalLoss(evalSet);

        if (AdapterDir is { } adapterDir)
            AdapterStore.Save(adapterDir, _method, _baseModel, new JsonObject
            {
                ["steps"] = Options.Steps, ["seed"] = Options.Seed, ["examples"] = train.Count,
                ["final_loss"] = double.IsNaN(loss) ? null : loss, ["eval_loss"] = evalLoss,
            });
        double throughput = trainedTokens / Math.Max(trainingTime.Elapsed.TotalSeconds, 1e-9);
        return new TrainingResult(Options.Steps, loss, evalLoss, startStep, throughput, TrainableParameterCount, AdapterDir);
    }

    /// <summary>Mean cross-entropy over the completion tokens of <paramref name="examples"/>, adapter in evaluation mode.</summary>
    public double EvalLoss(IReadOnlyList<TrainingExample> examples) => EvalLoss(Tokenize(examples, "held-out"));

    double EvalLoss(IReadOnlyList<TokenizedExample> examples) => CompletionLoss.Mean(_model, _method, examples, Options.BatchSize);

    /// <summary>One optimizer step over GradAccum micro-batches; returns the step's mean loss and its input tokens.</summary>
    (double Loss, int Tokens) TrainStep(int step, IReadOnlyList<TokenizedExample> trainSet, AdamW optimizer)
    {
        _method.Training = true;
        long firstMicroBatch = (long)(step - 1) * Options.GradAccum;
        var batches = Enumerable.Range(0, Options.GradAccum)
            .Select(m => TrainingBatch.Create(MicroBatchExamples(firstMicroBatch + m, trainSet), _model.DType, _model.Device))
            .ToList();
        try
        {
            // The step's loss is the mean over all its scored tokens, so each micro-batch's sum
            // is divided by the step total: accumulated gradients equal one big batch's.
            int scored = Math.Max(1, batches.Sum(b => b.ScoredTokens));
            double loss = 0;
            optimizer.ZeroGrad();
            for (int m = 0; m < batches.Count; m++)
            {
                using var scope = NewDisposeScope();
                AdapterDropout.Seed(DerivedSeed(Options.Seed, firstMicroBatch + m));
                var microLoss = CompletionLoss.Sum(_model, _method, batches[m]) / scored;
                microLoss.backward();
                loss += Scalar(microLoss);
            }
            _method.BeforeOptimizerStep();
            ClipGradients();
            optimizer.Step(Options.LearningRateAt(step));
            _method.AfterOptimizerStep();
            return (loss, batches.Sum(b => b.InputTokens));
        }
        finally { foreach (var b in batches) b.Dispose(); }
    }

    void ClipGradients()
    {
        if (Options.MaxGradNorm == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = _method.Parameters.Select(p => p.Parameter.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return;
        double norm = Math.Sqrt(grads.Sum(g => Scalar(g.pow(2).sum())));
        // torch.nn.utils.clip_grad_norm_'s rule: scale by max / (norm + 1e-6) when above max.
        if (norm > Options.MaxGradNorm)
            foreach (var g in grads) g.mul_(Options.MaxGradNorm / (norm + 1e-6));
    }

    static double Scalar(Tensor t) => t.to(ScalarType.Float64).item<double>();

    List<TokenizedExample> MicroBatchExamples(long microBatch, IReadOnlyList<TokenizedExample> trainSet)
    {
        var rows = new List<TokenizedExample>(Options.BatchSize);
        for (long j = microBatch * Options.BatchSize; j < (microBatch + 1) * Options.BatchSize; j++)
        {
            long epoch = j / trainSet.Count;
            rows.Add(trainSet[EpochOrder(epoch, trainSet.Count)[j % trainSet.Count]]);
        }
        return rows;
    }

    /// <summary>The seeded permutation of the training set for one epoch.</summary>
    int[] EpochOrder(long epoch, int count)
    {
        if (_epochOrders.TryGetValue(epoch, out var order)) return order;
        order = Enumerable.Range(0, count).ToArray();
        new Random((int)(DerivedSeed(Options.Seed, epoch) & int.MaxValue)).Shuffle(order);
        if (_epochOrders.Count > 4) _epochOrders.Clear(); // only the current epoch or two are ever needed
        return _epochOrders[epoch] = order;
    }

    /// <summary>A well-mixed 64-bit seed from (seed, index): SplitMix64's finaliser.</summary>
    static long DerivedSeed(int seed, long index)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) >> 1);
    }

    List<TokenizedExample> Tokenize(IReadOnlyList<TrainingExample> examples, string what)
    {
        var result = new List<TokenizedExample>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            var t = TokenizedExample.Encode(_tokenizer, examples[i]);
            if (t.Tokens.Length > _model.Config.MaxSeqLen)
                throw new ArgumentException($"{what} example {i + 1} is {t.Tokens.Length} tokens, longer than the model's context of {_model.Config.MaxSeqLen}");
            result.Add(t);
        }
        return result;
    }
}
