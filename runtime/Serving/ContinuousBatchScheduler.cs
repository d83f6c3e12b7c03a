using Adapters.Core.Exported;
using Adapters.Core.Generation;

namespace Adapters.Runtime.Serving;

/// <summary>
/// Continuous batching over one exported model with adapter inputs: requests for different
/// adapters share decode steps, join as soon as a row (and, in a batched export, an adapter
/// slot) is free, and leave when done — all between steps, on one worker thread. A request
/// leases its adapter version when it is submitted and keeps it to the end, so replacing or
/// unloading an adapter never changes a request in flight. Each step is one ONNX Runtime run:
/// joining rows feed their whole prompt (prefill, with position masks), the others one token;
/// adapter_index maps each row to its adapter's slot. Owns its batch state; borrows model and
/// registry. Dispose stops the worker and fails requests still waiting.
/// </summary>
public sealed class ContinuousBatchScheduler : IDisposable
{
    sealed class Active(Pending pending)
    {
        public Pending Pending { get; } = pending;
        public List<int> Generated { get; } = [];
        public int? NextToken;          // null until the prompt has been fed
        public Sampler Sampler { get; } = new(pending.Request.Sampling);
    }

    sealed record Pending(GenerationRequest Request, AdapterLease? Lease, TaskCompletionSource<GenerationResult> Completion);

    readonly OnnxDecoderModel _model;
    readonly AdapterRegistry _registry;
    readonly SchedulerOptions _options;
    readonly AdapterInputBuilder _inputs;
    readonly OnnxBatchSession _batch;
    readonly Active?[] _rows;
    readonly Queue<Pending> _waiting = new();
    readonly Lock _lock = new();
    readonly SemaphoreSlim _signal = new(0);
    readonly CancellationTokenSource _stop = new();
    readonly Thread _worker;
    bool _disposed;

    public ContinuousBatchScheduler(OnnxDecoderModel model, AdapterRegistry registry, SchedulerOptions? options = null)
    {
        var adapterInterface = model.Exported.Manifest.Adapters
            ?? throw new ArgumentException($"{model.Exported.Folder} has no adapter inputs; export it swappable or batched");
        _model = model;
        _registry = registry;
        _options = (options ?? new SchedulerOptions()).Validate();
        _inputs = new AdapterInputBuilder(adapterInterface);
        _batch = model.StartBatch(_options.MaxBatchSize);
        _rows = new Active?[_options.MaxBatchSize];
        _worker = new Thread(Run) { IsBackground = true, Name = "adapter-scheduler" };
        _worker.Start();
    }

    /// <summary>Decode steps run so far (for tests and metrics).</summary>
    public long Steps => Interlocked.Read(ref _steps);
    long _steps;

    /// <summary>
    /// Queues a request; its adapter version is leased now, so an unknown name fails here
    /// (<see cref="AdapterNotFoundException"/>) and later registry changes do not affect it.
    /// </summary>
    public Task<GenerationResult> SubmitAsync(GenerationRequest request)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt must hold at least one token (BOS)");
        if (request.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be >= 1, got {request.MaxNewTokens}");
        if (request.PromptTokens.Count + request.MaxNewTokens > _model.Config.MaxSeqLen)
            throw new ArgumentException($"prompt {request.PromptTokens.Count} + {request.MaxNewTokens} new tokens exceed the context of {_model.Config.MaxSeqLen}");
        var lease = request.AdapterName is null ? null : _registry.Acquire(request.AdapterName);
        var pending = new Pending(request, lease, new TaskCompletionSource<GenerationResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock) _waiting.Enqueue(pending);
        _signal.Release();
        return pending.Completion.Task;
    }

    void Run()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Admit();
                if (_rows.All(r => r is null))
                {
                    _signal.Wait(_stop.Token);
                    continue;
                }
                Step();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception e)
        {
            // A failed run leaves the batch state unknown: fail everything rather than serve wrong tokens.
            FailAll(e);
        }
    }

    /// <summary>Moves waiting requests into free rows while their adapters fit the export's slots.</summary>
    void Admit()
    {
        lock (_lock)
        {
            while (_waiting.Count > 0)
            {
                int free = Array.IndexOf(_rows, null);
                if (free < 0) return;
                var next = _waiting.Peek();
                var adapters = _rows.Where(r => r?.Pending.Lease is not null).Select(r => r!.Pending.Lease!.Adapter).ToHashSet();
                if (next.Lease is not null) adapters.Add(next.Lease.Adapter);
                if (adapters.Count > _inputs.Capacity) return; // waits for a slot; first come, first served
                _waiting.Dequeue();
                _batch.ResetRow(free);
                _rows[free] = new Active(next);
            }
        }
    }

    void Step()
    {
        var tokens = new IReadOnlyList<int>[_rows.Length];
        var windows = new RowWindow[_rows.Length];
        var adapters = new LoadedAdapter?[_rows.Length];
        for (int r = 0; r < _rows.Length; r++)
        {
            var row = _rows[r];
            tokens[r] = row is null ? [] : row.NextToken is { } next ? [next] : row.Pending.Request.PromptTokens;
            windows[r] = new RowWindow(_batch.Position(r), tokens[r].Count, row?.Pending.Request.PromptTokens.Count ?? 0);
            adapters[r] = row?.Pending.Lease?.Adapter;
        }
        int sequence = tokens.Max(t => t.Count);
        BatchLogits logits;
        using (var feed = _inputs.Build(adapters, windows, sequence)) logits = _batch.Forward(tokens, feed.Values);
        Interlocked.Increment(ref _steps);

        for (int r = 0; r < _rows.Length; r++)
        {
            if (_rows[r] is not { } row) continue;
            var request = row.Pending.Request;
            int token = row.Sampler.Sample(logits.Last(r));
            bool end = token == request.EosToken;
            if (!end) row.Generated.Add(token);
            if (end || row.Generated.Count >= request.MaxNewTokens || _batch.Position(r) >= _model.Config.MaxSeqLen)
            {
                _rows[r] = null;
                var adapter = row.Pending.Lease?.Adapter;
                row.Pending.Lease?.Dispose();
                row.Pending.Completion.TrySetResult(new GenerationResult(row.Generated, adapter));
                continue;
            }
            row.NextToken = token;
        }
        if (_batch.LeadingDeadSlots >= _options.CompactThreshold) _batch.Compact();
    }

    void FailAll(Exception e)
    {
        lock (_lock)
        {
            for (int r = 0; r < _rows.Length; r++)
            {
                if (_rows[r] is not { } row) continue;
                row.Pending.Lease?.Dispose();
                row.Pending.Completion.TrySetException(e);
                _rows[r] = null;
            }
            while (_waiting.TryDequeue(out var pending))
            {
                pending.Lease?.Dispose();
                pending.Completion.TrySetException(e);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _worker.Join();
        FailAll(new ObjectDisposedException(nameof(ContinuousBatchScheduler), "the scheduler was disposed before the request finished"));
        _batch.Dispose();
        _signal.Dispose();
        _stop.Dispose();
    }
}
