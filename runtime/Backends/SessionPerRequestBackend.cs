using Adapters.Core.IO;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Adapters.Core.Generation;
using Adapters.Core.Chat;
using Adapters.Core.Tokenizers;
using Adapters.Runtime;

namespace Adapters.Runtime.Backends;

/// <summary>
/// The simplest backend: every request decodes in its own <see cref="IDecoderSession"/> with
/// the shared <see cref="TextGenerator"/> loop, so its tokens equal the CLI's for the same
/// settings. Base model only; at most <c>maxConcurrent</c> sessions run at once, the rest wait.
/// The scheduler backend (adapters, continuous batching) replaces it.
/// </summary>
public sealed class SessionPerRequestBackend : ICompletionBackend
{
    readonly IDecoderModel _model;
    readonly bool _ownsModel;
    readonly SemaphoreSlim _slots;
    readonly IReadOnlyList<ModelInfo> _models;

    /// <summary>Serves <paramref name="model"/> (borrowed unless <paramref name="ownsModel"/>) under <paramref name="name"/>.</summary>
    public SessionPerRequestBackend(IDecoderModel model, ITokenizer tokenizer, string name, int eosToken, int maxConcurrent, bool ownsModel = false, ChatFormat? chat = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (maxConcurrent < 1) throw new ArgumentException($"max concurrent sessions must be >= 1, got {maxConcurrent}");
        // Embeddings may be padded beyond the tokenizer (Qwen: 151,936 rows for 151,669 tokens); never the other way round.
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is only {model.Config.VocabSize}");
        _model = model;
        _ownsModel = ownsModel;
        StopTokens = new HashSet<int> { eosToken };
        Chat = chat;
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        BaseModelName = name;
        Tokenizer = tokenizer;
        _models = [new ModelInfo { Id = name, Kind = ModelKind.Base }];
    }

    /// <summary>Loads an exported ONNX folder and the tokenizer it recorded; the backend owns the model.</summary>
    /// <exception cref="InvalidFileException">The folder is not a usable export, or it has no tokenizer.</exception>
    public static SessionPerRequestBackend Load(string folder, string name, int maxConcurrent, OnnxRuntimeOptions? options = null)
    {
        var model = OnnxDecoderModel.Load(folder, options);
        try
        {
            string tokenizerPath = model.Exported.TokenizerPath
                ?? throw new InvalidFileException(model.Exported.Folder, "the export has no tokenizer; the host needs one to read prompts (export with --tokenizer)");
            var tokenizer = TokenizerLoader.Load(tokenizerPath, model.Config.VocabSize);
            var chat = ChatFormat.TryLoad(model.Exported.Folder, tokenizer);
            return new SessionPerRequestBackend(model, tokenizer, name, model.Exported.Manifest.EosTokenId, maxConcurrent, ownsModel: true, chat);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string BaseModelName { get; }
    public ITokenizer Tokenizer { get; }
    public IReadOnlySet<int> StopTokens { get; }
    public ChatFormat? Chat { get; }
    public int ContextLength => _model.Config.MaxSeqLen;
    public IReadOnlyList<ModelInfo> Models => _models;
    public bool Serves(string model) => model == BaseModelName;

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(CompletionJob job, [EnumeratorCancellation] CancellationToken cancel)
    {
        if (job.Model != BaseModelName) throw new UnknownModelException(job.Model);
        await _slots.WaitAsync(cancel);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        // One token of slack is enough: the decode loop runs at most one step ahead of the reader.
        var tokens = Channel.CreateBounded<int>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        Task producer = Task.Run(() => Produce(job, tokens.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (int token in tokens.Reader.ReadAllAsync(cancel))
                yield return new GeneratedToken(token);
            await producer; // surfaces a failure of the decode loop
        }
        finally
        {
            // The reader left early (stop string, disconnect, timeout): stop decoding, and free
            // the slot only once the session is really gone, so concurrency stays bounded.
            stop.Cancel();
            try { await producer; }
            catch (Exception) when (stop.IsCancellationRequested) { }
            _slots.Release();
        }
    }

    void Produce(CompletionJob job, ChannelWriter<int> writer, CancellationToken cancel)
    {
        try
        {
            foreach (int token in TextGenerator.GenerateTokens(_model, job.PromptTokens, job.MaxTokens, job.Sampling, job.StopTokens, cancel))
                if (!writer.TryWrite(token)) writer.WriteAsync(token, cancel).AsTask().GetAwaiter().GetResult();
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsModel) _model.Dispose();
        _slots.Dispose();
        return ValueTask.CompletedTask;
    }
}
