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
/// A request may stream its tokens (<see cref="GenerationRequest.OnToken"/>) and be cancelled:
/// a cancelled request leaves the queue or its row at the next step boundary and its lease is
/// released then, so a client that goes away stops costing batch rows and adapter memory.
/// </summary>
public sealed class ContinuousBatchScheduler : IDisposable
{
    sealed class Active(Pending pending)
    {
        public Pending Pending { get; } = pending;
        public List<int> Generated { get; } = [];
        public int? NextToken;          // null until the prompt has been fed
        public Sampler Sampler { get; } = new(pending.Request.Sampling, pending.Request.PromptTokens);
    }

    /// <param name="Registration">Wakes an idle worker when the request is cancelled; disposed when the request ends.</param>
    sealed record Pending(GenerationRequest Request, AdapterLease? Lease, TaskCompletionSource<GenerationResult> Completion,
        CancellationToken Cancel, CancellationTokenRegistration Registration);

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

    /// <summary>Requests that ended by cancellation, waiting or running (for tests and metrics).</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);
    long _cancelled;

    /// <summary>Rows generating now.</summary>
    public int ActiveRows => Volatile.Read(ref _activeRows);
    int _activeRows;

    /// <summary>Cached slots per row of the batch, padding included (for tests and metrics; read between steps).</summary>
    public int CacheLength => _batch.CacheLength;

    /// <summary>Requests waiting for a row (or for an adapter slot).</summary>
    public int Waiting
    {
        get { lock (_lock) return _waiting.Count; }
    }

    /// <summary>
    /// Raised on the worker thread after every decode step (batch size, prefill rows, run time).
    /// Handlers must return at once; an exception from one is ignored, since metrics must never
    /// stop serving.
    /// </summary>
    public event Action<SchedulerStep>? StepCompleted;

    /// <summary>
    /// Queues a request; its adapter version is leased now, so an unknown name fails here
    /// (<see cref="AdapterNotFoundException"/>) and later registry changes do not affect it.
    /// Cancelling <paramref name="cancel"/> removes the request at the next step boundary and
    /// completes the task as cancelled; tokens already streamed stay streamed.
    /// </summary>
    public Task<GenerationResult> SubmitAsync(GenerationRequest request, CancellationToken cancel = default)
    {
        Check(request);
        if (cancel.IsCancellationRequested) return Task.FromCanceled<GenerationResult>(cancel);
        return Enqueue(request, request.AdapterName is null ? null : _registry.Acquire(request.AdapterName), cancel);
    }

    /// <summary>
    /// Queues a request whose adapter the caller leased already (<see cref="AdapterRegistry.AcquireAsync"/>:
    /// a server reads a missing adapter back without holding a thread); the scheduler owns
    /// <paramref name="lease"/> from this call on and releases it when the request ends, or now if it is refused.
    /// </summary>
    public Task<GenerationResult> SubmitAsync(GenerationRequest request, AdapterLease? lease, CancellationToken cancel = default)
    {
        try
        {
            Check(request);
            if (lease?.Adapter.Name != request.AdapterName)
                throw new ArgumentException($"the lease is for '{lease?.Adapter.Name ?? "no adapter"}', the request for '{request.AdapterName ?? "no adapter"}'");
        }
        catch
        {
            lease?.Dispose();
            throw;
        }
        if (cancel.IsCancellationRequested)
        {
            lease?.Dispose();
            return Task.FromCanceled<GenerationResult>(cancel);
        }
        return Enqueue(request, lease, cancel);
    }

    void Check(GenerationRequest request)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt must hold at least one token (BOS)");
        if (request.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be >= 1, got {request.MaxNewTokens}");
        if (request.PromptTokens.Count + request.MaxNewTokens > _model.Config.MaxSeqLen)
            throw new ArgumentException($"prompt {request.PromptTokens.Count} + {request.MaxNewTokens} new tokens exceed the context of {_model.Config.MaxSeqLen}");
    }

    Task<GenerationResult> Enqueue(GenerationRequest request, AdapterLease? lease, CancellationToken cancel)
    {
        var registration = cancel.UnsafeRegister(static state => ((ContinuousBatchScheduler)state!).Wake(), this);
        var pending = new Pending(request, lease, new TaskCompletionSource<GenerationResult>(TaskCreationOptions.RunContinuationsAsynchronously), cancel, registration);
        lock (_lock) _waiting.Enqueue(pending);
        Wake();
        return pending.Completion.Task;
    }

    void Wake()
    {
        try { _signal.Release(); }
        catch (ObjectDisposedException) { } // a cancellation after Dispose: nothing left to wake
    }

    /// <summary>Ends a request: releases its lease and cancellation hook, then completes its task.</summary>
    static void Complete(Pending pending, Action<TaskCompletionSource<GenerationResult>> complete)
    {
        pending.Registration.Dispose();
        pending.Lease?.Dispose();
        complete(pending.Completion);
    }

    void CompleteCancelled(Pending pending)
    {
        Interlocked.Increment(ref _cancelled);
        Complete(pending, c => c.TrySetCanceled(pending.Cancel));
    }

    /// <summary>
    /// Frees row <paramref name="r"/>, and masks out its cached slots now rather than when a request
    /// next joins there: a row left idle would otherwise keep attending its old slots, so
    /// <see cref="OnnxBatchSession.Compact"/> could never drop them and the cache (and every step's
    /// attention) would grow for as long as fewer requests than rows arrive.
    /// </summary>
    void ClearRow(int r)
    {
        _batch.ResetRow(r);
        _rows[r] = null;
        Interlocked.Decrement(ref _activeRows);
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
            if (_waiting.Any(p => p.Cancel.IsCancellationRequested))
            {
                var kept = _waiting.Where(p => !p.Cancel.IsCancellationRequested).ToList();
                foreach (var gone in _waiting.Where(p => p.Cancel.IsCancellationRequested)) CompleteCancelled(gone);
                _waiting.Clear();
                foreach (var p in kept) _waiting.Enqueue(p);
            }
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
                Interlocked.Increment(ref _activeRows);
            }
        }
    }

    void Step()
    {
        // Cancelled rows leave before the run, so they cost no compute and free their slot now.
        for (int r = 0; r < _rows.Length; r++)
        {
            if (_rows[r] is not { } gone || !gone.Pending.Cancel.IsCancellationRequested) continue;
            ClearRow(r);
            CompleteCancelled(gone.Pending);
        }
        if (_rows.All(r => r is null)) return;

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int batchSize = _rows.Count(r => r is not null), prefillRows = _rows.Count(r => r is not null && r.NextToken is null);
        if (_batch.RunsMixedSteps) RunTogether(decoding: null);
        else
        {
            // An in-place cache runs a prompt beside rows with a past on its own, then the decode rows together.
            var decoding = _rows.Select(r => r?.NextToken is not null).ToArray();
            for (int r = 0; r < _rows.Length; r++)
                if (_rows[r] is { NextToken: null } joining) RunPrompt(r, joining);
            if (decoding.Any(d => d)) RunTogether(decoding);
        }
        Interlocked.Increment(ref _steps);
        var step = new SchedulerStep(BatchSize: batchSize, PrefillRows: prefillRows, Waiting: Waiting,
            Duration: System.Diagnostics.Stopwatch.GetElapsedTime(started));
        if (_batch.LeadingDeadSlots >= _options.CompactThreshold) _batch.Compact();
        try { StepCompleted?.Invoke(step); }
        catch (Exception) { } // an observer's fault must not fail the batch
    }

    /// <summary>
    /// One forward for every row: joining rows feed their prompt, the others one token (or, where
    /// <paramref name="decoding"/> says a row does not decode in this run, none).
    /// </summary>
    void RunTogether(bool[]? decoding)
    {
        var tokens = new IReadOnlyList<int>[_rows.Length];
        var windows = new RowWindow[_rows.Length];
        var adapters = new LoadedAdapter?[_rows.Length];
        for (int r = 0; r < _rows.Length; r++)
        {
            var row = _rows[r];
            bool runs = row is not null && (decoding is null || decoding[r]);
            tokens[r] = !runs ? [] : row!.NextToken is { } next ? [next] : row.Pending.Request.PromptTokens;
            windows[r] = new RowWindow(_batch.Position(r), tokens[r].Count, row?.Pending.Request.PromptTokens.Count ?? 0);
            adapters[r] = row?.Pending.Lease?.Adapter;
        }
        int sequence = tokens.Max(t => t.Count);
        BatchLogits logits;
        using (var feed = _inputs.Build(adapters, windows, sequence)) logits = _batch.ForwardBorrowed(tokens, feed.Values); // sampled below, before the next forward
        for (int r = 0; r < _rows.Length; r++)
            if (tokens[r].Count > 0) Advance(r, logits.Last(r));
    }

    /// <summary>A joining row's prompt as a forward of its own (in-place caches).</summary>
    void RunPrompt(int r, Active row)
    {
        var prompt = row.Pending.Request.PromptTokens;
        BatchLogits logits;
        using (var feed = _inputs.Build([row.Pending.Lease?.Adapter], [new RowWindow(_batch.Position(r), prompt.Count, prompt.Count)], prompt.Count))
            logits = _batch.ForwardRow(r, prompt, feed.Values);
        Advance(r, logits.Last(0));
    }

    /// <summary>Samples row <paramref name="r"/>'s next token, streams it, and ends the request when it stops or runs out of budget or context.</summary>
    void Advance(int r, ReadOnlySpan<float> logits)
    {
        var row = _rows[r]!;
        var request = row.Pending.Request;
        int token = row.Sampler.Sample(logits);
        bool end = request.StopTokens.Contains(token);
        if (!end)
        {
            row.Generated.Add(token);
            try { request.OnToken?.Invoke(token); }
            catch (Exception e)
            {
                ClearRow(r);
                Complete(row.Pending, c => c.TrySetException(e));
                return;
            }
        }
        if (end || row.Generated.Count >= request.MaxNewTokens || _batch.Position(r) >= _model.Config.MaxSeqLen)
        {
            ClearRow(r);
            var adapter = row.Pending.Lease?.Adapter;
            Complete(row.Pending, c => c.TrySetResult(new GenerationResult(row.Generated, adapter)));
            return;
        }
        row.NextToken = token;
    }

    void FailAll(Exception e)
    {
        lock (_lock)
        {
            for (int r = 0; r < _rows.Length; r++)
            {
                if (_rows[r] is not { } row) continue;
                ClearRow(r);
                Complete(row.Pending, c => c.TrySetException(e));
            }
            while (_waiting.TryDequeue(out var pending)) Complete(pending, c => c.TrySetException(e));
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
