using Adapters.Core.IO;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Adapters.Core.Chat;
using Adapters.Core.Tokenizers;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Backends;

/// <summary>
/// Serves an export with adapter inputs (swappable or batched) through a
/// <see cref="ContinuousBatchScheduler"/>: requests for the base model and for any adapter in the
/// <see cref="Registry"/> share decode steps, tokens stream as each step ends, and a request whose
/// enumerator is disposed or cancelled leaves the batch at the next step with its lease released.
/// Owns the scheduler and registry; owns the model when <c>ownsModel</c>.
/// </summary>
public sealed class SchedulerBackend : ICompletionBackend
{
    readonly OnnxDecoderModel _model;
    readonly bool _ownsModel;
    readonly DateTimeOffset _created = DateTimeOffset.UtcNow;

    /// <summary>Serves <paramref name="model"/> with the adapters of <paramref name="registry"/> (which must be for that model).</summary>
    public SchedulerBackend(OnnxDecoderModel model, AdapterRegistry registry, ITokenizer tokenizer, string name, SchedulerOptions scheduler, bool ownsModel = false, ChatFormat? chat = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        // Embeddings may be padded beyond the tokenizer (Qwen: 151,936 rows for 151,669 tokens); never the other way round.
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is only {model.Config.VocabSize}");
        if (registry.Model != model.Exported) throw new ArgumentException("the adapter registry belongs to another exported model");
        Scheduler = new ContinuousBatchScheduler(model, registry, scheduler);
        _model = model;
        _ownsModel = ownsModel;
        StopTokens = new HashSet<int> { model.Exported.Manifest.EosTokenId };
        Chat = chat;
        Registry = registry;
        Tokenizer = tokenizer;
        BaseModelName = name;
    }

    /// <summary>
    /// Loads an exported folder with adapter inputs, its tokenizer and the adapters exported with
    /// it; at most <paramref name="maxLoadedAdapters"/> adapter versions stay in memory (LRU
    /// eviction beyond; evicted ones are read back on their next request). The backend owns the model.
    /// </summary>
    /// <exception cref="InvalidFileException">The folder is not a usable export, has no adapter inputs, or has no tokenizer.</exception>
    public static SchedulerBackend Load(string folder, string name, int maxBatch, int maxLoadedAdapters, OnnxRuntimeOptions? options = null)
    {
        var model = OnnxDecoderModel.Load(folder, options);
        AdapterRegistry? registry = null;
        try
        {
            if (model.Exported.Manifest.Adapters is null)
                throw new InvalidFileException(model.Exported.Folder, "the export has no adapter inputs; export it with --mode swappable or batched to serve adapters");
            string tokenizerPath = model.Exported.TokenizerPath
                ?? throw new InvalidFileException(model.Exported.Folder, "the export has no tokenizer; the host needs one to read prompts (export with --tokenizer)");
            var tokenizer = TokenizerLoader.Load(tokenizerPath, model.Config.VocabSize);
            registry = AdapterRegistry.WithExportedAdapters(model.Exported, maxResident: maxLoadedAdapters);
            var chat = ChatFormat.TryLoad(model.Exported.Folder, tokenizer);
            return new SchedulerBackend(model, registry, tokenizer, name, new SchedulerOptions { MaxBatchSize = maxBatch }, ownsModel: true, chat);
        }
        catch
        {
            registry?.Dispose();
            model.Dispose();
            throw;
        }
    }

    public ContinuousBatchScheduler Scheduler { get; }
    public AdapterRegistry Registry { get; }
    public string BaseModelName { get; }
    public ITokenizer Tokenizer { get; }
    public IReadOnlySet<int> StopTokens { get; }
    public ChatFormat? Chat { get; }
    public int ContextLength => _model.Config.MaxSeqLen;

    public IReadOnlyList<ModelInfo> Models =>
    [
        new ModelInfo { Id = BaseModelName, Kind = ModelKind.Base, Created = _created },
        .. Registry.Registered.Select(a => new ModelInfo
        {
            Id = a.Name,
            Kind = ModelKind.Adapter,
            Method = a.Manifest.Method,
            Rank = a.Manifest.Rank,
            Parent = BaseModelName,
            Created = a.LoadedAt,
        }),
    ];

    public bool Serves(string model) => model == BaseModelName || Registry.Contains(model);

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(CompletionJob job, [EnumeratorCancellation] CancellationToken cancel)
    {
        string? adapter = job.Model == BaseModelName ? null : job.Model;
        if (adapter is not null && !Registry.Contains(adapter)) throw new UnknownModelException(job.Model);
        // Unbounded: the worker must never wait for a slow client; a row holds at most max_tokens ids.
        var tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var request = new GenerationRequest(job.PromptTokens, job.MaxTokens, adapter)
        {
            Sampling = job.Sampling,
            StopTokens = job.StopTokens,
            OnToken = token => tokens.Writer.TryWrite(token),
        };
        Task<GenerationResult> run;
        try
        {
            // An evicted adapter is read back off the thread pool (AcquireAsync), which serves every other request.
            var lease = adapter is null ? null : await Registry.AcquireAsync(adapter, stop.Token);
            run = Scheduler.SubmitAsync(request, lease, stop.Token);
        }
        catch (AdapterNotFoundException) { throw new UnknownModelException(job.Model); } // unloaded since the check
        catch (AdapterCapacityException e) { throw new BackendBusyException(e.Message, e); }
        _ = run.ContinueWith(static (t, writer) => ((ChannelWriter<int>)writer!).TryComplete(t.Exception?.GetBaseException()),
            tokens.Writer, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (int token in tokens.Reader.ReadAllAsync(cancel))
                yield return new GeneratedToken(token);
            await run; // surfaces a cancellation or failure of the scheduler
        }
        finally
        {
            // The reader left early (stop string, disconnect, timeout) or finished: take the row
            // out at the next step and wait for it, so the lease is released before we return.
            stop.Cancel();
            try { await run; }
            catch (Exception) when (stop.IsCancellationRequested) { }
        }
    }

    public ValueTask DisposeAsync()
    {
        Scheduler.Dispose();
        Registry.Dispose(); // its store of validated copies
        if (_ownsModel) _model.Dispose();
        return ValueTask.CompletedTask;
    }
}
