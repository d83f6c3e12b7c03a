using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// A fixed set of sequences decoded together, with a KV cache per layer held as ONNX Runtime
/// values. Each <see cref="Forward"/> takes new tokens per row (zero included: the row sits the
/// step out) and returns the logits [batch, longest row, vocab], rows left-aligned so that every
/// row's last token is at index longest − 1. Each row keeps its own positions. Not thread-safe;
/// borrows its <see cref="OnnxDecoderModel"/>, which must outlive it.
/// </summary>
/// <remarks>
/// How the cache is fed depends on the export's attention (<see cref="OnnxDecoderModel.InPlaceKvCache"/>):
/// a standard-op graph grows it by Concat every step (<see cref="ConcatCacheBatchSession"/>: shorter
/// rows left-padded and masked, any mix of rows in one run), a GroupQueryAttention graph writes new
/// slots into one buffer in place (<see cref="InPlaceCacheBatchSession"/>: rows never padded, so a
/// multi-token step for one row while others have a past runs on its own, <see cref="ForwardRow"/>).
/// The per-step host work is kept off the garbage collector: token inputs live in reused pinned
/// buffers (<see cref="TokenInputBuffers"/>), <see cref="ForwardBorrowed"/> writes logits into a
/// reused buffer (<see cref="LogitsBuffer"/>) instead of a new [batch·tokens·vocab] array, and
/// cache memory comes from the model's <see cref="SessionBufferPool"/> and goes back there.
/// </remarks>
public abstract class OnnxBatchSession : IDisposable
{
    /// <summary>Token id written at padding slots; masked out or never committed, so any valid id works (LLaMA's pad/unk is 0).</summary>
    private protected const long PaddingToken = 0;

    readonly RunOptions _runOptions = new();
    readonly int[] _positions;          // tokens committed per row = position of its next token
    readonly string[] _outputNames;
    string[] _inputNames;               // the model's inputs, then the extra inputs of the last call
    OrtValue[] _inputValues = [];
    readonly OrtValue[] _outputValues;
    readonly TokenInputBuffers _tokens = new();
    readonly LogitsBuffer _logits;
    readonly RunBinding? _binding;      // CPU, in-place cache: values bound once, re-bound when they change
    bool _disposed;

    private protected OnnxBatchSession(OnnxDecoderModel model, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {batchSize}");
        Model = model;
        Config = model.Config;
        BatchSize = batchSize;
        _positions = new int[batchSize];
        _inputNames = [.. model.InputNames];
        _outputNames = [.. model.OutputNames];
        _outputValues = new OrtValue[_outputNames.Length];
        _logits = new LogitsBuffer(model.Buffers);
        // A concatenated cache wraps new present values every step, so only an in-place cache's steps repeat their values.
        if (model.Provider == ExecutionProviderKind.Cpu && model.InPlaceKvCache) _binding = new RunBinding(model.Session);
    }

    /// <summary>The session kind the export's attention needs.</summary>
    internal static OnnxBatchSession Create(OnnxDecoderModel model, int batchSize) =>
        model.InPlaceKvCache ? new InPlaceCacheBatchSession(model, batchSize) : new ConcatCacheBatchSession(model, batchSize);

    private protected OnnxDecoderModel Model { get; }

    public int BatchSize { get; }

    public LlamaConfig Config { get; }

    /// <summary>Cached slots per row: the concatenated cache's length, padding included, or the longest row of an in-place cache.</summary>
    public abstract int CacheLength { get; }

    /// <summary>
    /// True when one <see cref="Forward"/> may give rows different numbers of tokens while some row
    /// has a past (a prompt joining rows that decode). False for an in-place cache: there a
    /// multi-token step runs as <see cref="ForwardRow"/> and the others decode in a separate forward.
    /// </summary>
    public abstract bool RunsMixedSteps { get; }

    /// <summary>Tokens consumed so far by <paramref name="row"/> (the position of its next token).</summary>
    public int Position(int row) => _positions[row];

    /// <summary>
    /// Feeds each row's new tokens (one list per row, in row order) and returns the logits
    /// [batch, longest row, vocab] in a new array the caller keeps. A row may pass no tokens to
    /// sit this step out.
    /// <paramref name="extraInputs"/> feeds graph inputs that extensions added (adapter weights,
    /// position masks); they are borrowed for the call, and shaped by the caller to this step.
    /// </summary>
    /// <param name="activeLoraAdapter">
    /// An ONNX Runtime LoRA adapter whose parameters replace the graph inputs of the same names for
    /// this call (<see cref="RunOptions.AddActiveLoraAdapter"/>); borrowed, must outlive the call.
    /// </param>
    public BatchLogits Forward(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs = null,
        OrtLoraAdapter? activeLoraAdapter = null) =>
        Forward(rows, extraInputs, activeLoraAdapter, borrowed: false);

    /// <summary>
    /// <see cref="Forward"/> for decode loops: the logits are written into a buffer this session
    /// reuses, so a step allocates no logits array. They are valid until this session's next
    /// forward or its disposal; after that the returned <see cref="BatchLogits"/> throws instead of
    /// showing another step's values. Sample from them (or copy them) before the next step.
    /// </summary>
    public BatchLogits ForwardBorrowed(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs = null,
        OrtLoraAdapter? activeLoraAdapter = null) =>
        Forward(rows, extraInputs, activeLoraAdapter, borrowed: true);

    /// <summary>
    /// One row's tokens alone, as a batch of one: logits [1, tokens, vocab], borrowed like
    /// <see cref="ForwardBorrowed"/>'s; the other rows keep their state. For the steps an
    /// in-place cache cannot run together (<see cref="RunsMixedSteps"/> false); extra inputs are
    /// shaped for a batch of one.
    /// </summary>
    public virtual BatchLogits ForwardRow(int row, IReadOnlyList<int> tokens, IReadOnlyDictionary<string, OrtValue>? extraInputs = null) =>
        throw new NotSupportedException("this export's cache runs every row in one forward (RunsMixedSteps); pass the others no tokens instead");

    /// <summary>
    /// Frees <paramref name="row"/> for a new sequence: its cached slots are dropped from attention
    /// and its position restarts at 0.
    /// </summary>
    public void ResetRow(int row)
    {
        ThrowIfDisposed();
        CheckRow(row);
        OnResetRow(row);
        _positions[row] = 0;
    }

    /// <summary>Leading cache slots that no row attends (what <see cref="Compact"/> would drop); none for an in-place cache.</summary>
    public virtual int LeadingDeadSlots => 0;

    /// <summary>
    /// Drops the leading cache slots that every row masks out, so attention cost follows the live
    /// sequences, not the session's age. Exact. Returns the number of slots dropped (an in-place
    /// cache has none: a reset row starts again at slot 0).
    /// </summary>
    public virtual int Compact()
    {
        ThrowIfDisposed();
        return 0;
    }

    BatchLogits Forward(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs, OrtLoraAdapter? activeLoraAdapter, bool borrowed)
    {
        ThrowIfDisposed();
        if (rows.Count != BatchSize)
            throw new ArgumentException($"got {rows.Count} rows for a batch of {BatchSize}");
        int seq = 0;
        for (int r = 0; r < BatchSize; r++) seq = Math.Max(seq, rows[r].Count);
        if (seq == 0) throw new ArgumentException("every row is empty; a forward needs at least one token");
        for (int r = 0; r < BatchSize; r++) CheckTokens(r, rows[r]);

        int total = PlanStep(rows, seq);
        _tokens.Shape(BatchSize, seq);
        var ids = _tokens.Ids;
        var positions = _tokens.Positions;
        for (int r = 0; r < BatchSize; r++)
        {
            var row = rows[r];
            int padding = seq - row.Count;
            for (int i = 0; i < seq; i++)
            {
                bool real = i >= padding;
                ids[r * seq + i] = real ? row[i - padding] : PaddingToken;
                // Padding slots are never attended; any position inside the rotary table will do.
                positions[r * seq + i] = real ? _positions[r] + i - padding : Math.Min(_positions[r], Config.MaxSeqLen - 1);
            }
        }
        var mask = AttentionMask(rows, seq, total);
        Run(_tokens, mask, [BatchSize, total], extraInputs, activeLoraAdapter, seq, borrowed, out var logits);
        Commit(rows, total);
        for (int r = 0; r < BatchSize; r++) _positions[r] += rows[r].Count;
        return logits;
    }

    /// <summary>
    /// One ONNX Runtime call with the standard inputs, the cache the subclass binds
    /// (<see cref="BindCache"/>) and the extra inputs; logits into <see cref="_logits"/>.
    /// On failure the subclass hears of it (<see cref="Abandon"/>) and the exception propagates.
    /// </summary>
    private protected void Run(TokenInputBuffers tokens, Memory<long> attentionMask, long[] maskShape,
        IReadOnlyDictionary<string, OrtValue>? extraInputs, OrtLoraAdapter? activeLoraAdapter, int seq, bool borrowed,
        out BatchLogits result, int? row = null)
    {
        int batch = row is null ? BatchSize : 1;
        var (array, logitsValue, disposeLogits) = _logits.Target(batch, seq, Config.VocabSize, borrowed);
        using var attentionMaskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, attentionMask, maskShape);
        int total = (int)maskShape[1];
        try
        {
            var (past, present) = BindCache(total, row);
            int fixedInputs = 3 + past.Length, extras = extraInputs?.Count ?? 0;
            if (_inputValues.Length != fixedInputs + extras) _inputValues = new OrtValue[fixedInputs + extras];
            if (_inputNames.Length != fixedInputs + extras) _inputNames = [.. Model.InputNames, .. new string[extras]];
            if (extras > 0)
            {
                int i = fixedInputs;
                foreach (var (name, value) in extraInputs!)
                {
                    _inputNames[i] = name;
                    _inputValues[i++] = value;
                }
            }
            _inputValues[0] = tokens.IdsValue;
            _inputValues[1] = attentionMaskValue;
            _inputValues[2] = tokens.PositionsValue;
            Array.Copy(past, 0, _inputValues, 3, past.Length);
            _outputValues[0] = logitsValue;
            Array.Copy(present, 0, _outputValues, 1, present.Length);
            if (activeLoraAdapter is not null)
            {
                // Run options only borrow the adapter, and an adapter stays active for their lifetime: one per call.
                using var withAdapter = new RunOptions();
                withAdapter.AddActiveLoraAdapter(activeLoraAdapter);
                Model.Session.Run(withAdapter, _inputNames, _inputValues, _outputNames, _outputValues);
            }
            else if (_binding is not null) _binding.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
            else Model.Session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
        }
        catch
        {
            Abandon();
            throw;
        }
        finally
        {
            // Only the binding keeps borrowed values between calls, and it re-binds any that changed before it runs again.
            Array.Clear(_inputValues);
            Array.Clear(_outputValues);
            if (disposeLogits) logitsValue.Dispose(); // the wrapper; the array stays
        }
        result = _logits.Result(array, batch, seq, Config.VocabSize, borrowed);
    }

    /// <summary>Adds <paramref name="count"/> committed tokens to a row after its own run (<see cref="ForwardRow"/>).</summary>
    private protected void Advance(int row, int count) => _positions[row] += count;

    /// <summary>Checks the step's mix of rows against what the cache can run, and returns the attention_mask length.</summary>
    private protected abstract int PlanStep(IReadOnlyList<IReadOnlyList<int>> rows, int seq);

    /// <summary>The attention_mask [batch, total] of this step, row-major.</summary>
    private protected abstract Memory<long> AttentionMask(IReadOnlyList<IReadOnlyList<int>> rows, int seq, int total);

    /// <summary>The past inputs and present outputs for a run of <paramref name="total"/> slots (of one row when given), key and value per layer.</summary>
    private protected abstract (OrtValue[] Past, OrtValue[] Present) BindCache(int total, int? row);

    /// <summary>The run succeeded: its present caches become the past.</summary>
    private protected abstract void Commit(IReadOnlyList<IReadOnlyList<int>> rows, int total);

    /// <summary>The run failed: drop what <see cref="BindCache"/> prepared; the committed state stays.</summary>
    private protected abstract void Abandon();

    private protected abstract void OnResetRow(int row);

    private protected void CheckRow(int row)
    {
        if ((uint)row >= (uint)BatchSize) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside the batch of {BatchSize}");
    }

    private protected void CheckTokens(int r, IReadOnlyList<int> row)
    {
        if (_positions[r] + row.Count > Config.MaxSeqLen)
            throw new ArgumentException($"row {r}: {row.Count} new tokens after {_positions[r]} would pass the model's context of {Config.MaxSeqLen}");
        for (int i = 0; i < row.Count; i++)
        {
            int t = row[i];
            if ((uint)t >= (uint)Config.VocabSize)
                throw new ArgumentException($"row {r}: token id {t} is outside the vocabulary of {Config.VocabSize}");
        }
    }

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Returns the subclass's cache memory to the model's pool.</summary>
    private protected abstract void ReleaseCache();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _tokens.Dispose();
        _logits.Dispose();
        _binding?.Dispose();
        ReleaseCache();
        _runOptions.Dispose();
        GC.SuppressFinalize(this);
    }
}
