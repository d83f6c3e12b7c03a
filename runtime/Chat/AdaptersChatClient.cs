using System.Runtime.CompilerServices;
using System.Text;
using Adapters.Core.Generation;
using Adapters.Runtime.Backends;
using Adapters.Runtime.Serving;
using Microsoft.Extensions.AI;
using TemplateMessage = Adapters.Core.Templates.ChatMessage;

namespace Adapters.Runtime.Chat;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over an exported model folder, in-process
/// (no HTTP): the folder's chat template, its end-of-turn tokens, and the same backends the host
/// serves with, so answers equal the server's for the same settings. <see cref="ChatOptions.ModelId"/>
/// picks the base model (null or its name) or a loaded adapter. Options it cannot honour (tools,
/// a non-text response format, ...) throw <see cref="NotSupportedException"/> naming them.
/// </summary>
public sealed class AdaptersChatClient : IChatClient
{
    /// <summary><see cref="ChatOptions.AdditionalProperties"/> keys this client implements (the vLLM names).</summary>
    public const string MinPKey = "min_p", RepetitionPenaltyKey = "repetition_penalty";

    readonly ICompletionBackend _backend;
    readonly bool _ownsBackend;
    readonly ChatClientMetadata _metadata;

    /// <summary>Chats with <paramref name="backend"/>'s models; disposes it when <paramref name="ownsBackend"/>.</summary>
    public AdaptersChatClient(ICompletionBackend backend, bool ownsBackend = false)
    {
        _backend = backend;
        _ownsBackend = ownsBackend;
        _metadata = new ChatClientMetadata("adapters", defaultModelId: backend.BaseModelName);
    }

    /// <summary>
    /// Opens an exported folder: one with adapter inputs (swappable or batched) is served through
    /// the continuous-batching scheduler with its exported adapters; any other, base model only.
    /// </summary>
    /// <exception cref="Adapters.Core.IO.InvalidFileException">The folder is not a usable export.</exception>
    public static AdaptersChatClient Open(string folder, AdaptersChatClientOptions? options = null)
    {
        options ??= new AdaptersChatClientOptions();
        var runtime = new OnnxRuntimeOptions { IntraOpThreads = options.Threads, Log = options.Log };
        string name = options.ModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        ICompletionBackend backend = ExportHasAdapterInputs(folder)
            ? SchedulerBackend.Load(folder, name, options.MaxBatch, options.MaxLoadedAdapters, runtime)
            : SessionPerRequestBackend.Load(folder, name, options.MaxBatch, runtime);
        return new AdaptersChatClient(backend, ownsBackend: true);
    }

    /// <summary>The backend answering; a <see cref="SchedulerBackend"/> exposes the adapter registry for hot load/unload.</summary>
    public ICompletionBackend Backend => _backend;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (job, stops) = Plan(messages, options);
        var completion = new CompletionText(_backend, job, stops);
        var text = new StringBuilder();
        await foreach (string piece in completion.TextAsync(cancellationToken)) text.Append(piece);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = job.Model,
            ResponseId = NewId(),
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Finish(completion),
            Usage = Usage(job, completion),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (job, stops) = Plan(messages, options);
        var completion = new CompletionText(_backend, job, stops);
        string id = NewId();
        var created = DateTimeOffset.UtcNow;
        await foreach (string piece in completion.TextAsync(cancellationToken))
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ModelId = job.Model, ResponseId = id, MessageId = id, CreatedAt = created };
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(job, completion))])
        {
            ModelId = job.Model,
            ResponseId = id,
            MessageId = id,
            CreatedAt = created,
            FinishReason = Finish(completion),
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : serviceType.IsInstanceOfType(_backend) ? _backend : null;
    }

    public void Dispose()
    {
        if (_ownsBackend) _backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    (CompletionJob Job, IReadOnlyList<string> Stops) Plan(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatOptionsCheck.RefuseUnsupported(options);
        string model = options?.ModelId ?? _backend.BaseModelName;
        if (!_backend.Serves(model))
            throw new ArgumentException($"the model '{model}' does not exist or is not loaded; known: {string.Join(", ", _backend.Models.Select(m => m.Id))}", nameof(options));
        var conversation = new List<TemplateMessage>();
        if (!string.IsNullOrEmpty(options?.Instructions)) conversation.Add(new TemplateMessage("system", options.Instructions));
        conversation.AddRange(messages.Select(ChatOptionsCheck.ToTemplateMessage));
        if (conversation.Count == 0) throw new ArgumentException("the conversation holds no messages", nameof(messages));
        var sampling = Sampling(options);
        var job = ChatJobs.Create(_backend, model, conversation, sampling, options?.MaxOutputTokens, "MaxOutputTokens");
        return (job, options?.StopSequences?.ToList() ?? []);
    }

    SamplingOptions Sampling(ChatOptions? options) => new SamplingOptions
    {
        // Temperature defaults to 1, as the OpenAI API's does; the host uses the same default.
        Temperature = options?.Temperature ?? 1f,
        TopP = options?.TopP ?? 1f,
        TopK = options?.TopK ?? 0,
        PresencePenalty = options?.PresencePenalty ?? 0f,
        FrequencyPenalty = options?.FrequencyPenalty ?? 0f,
        MinP = ChatOptionsCheck.Number(options, MinPKey) ?? 0f,
        RepetitionPenalty = ChatOptionsCheck.Number(options, RepetitionPenaltyKey) ?? 1f,
        Seed = options?.Seed is long seed ? checked((int)seed) : null,
    }.Validate();

    static ChatFinishReason Finish(CompletionText completion) =>
        completion.FinishReason == CompletionText.FinishLength ? ChatFinishReason.Length : ChatFinishReason.Stop;

    static UsageDetails Usage(CompletionJob job, CompletionText completion) => new()
    {
        InputTokenCount = job.PromptTokens.Count,
        OutputTokenCount = completion.CompletionTokens,
        TotalTokenCount = job.PromptTokens.Count + completion.CompletionTokens,
    };

    static string NewId() => $"chatcmpl-{Guid.NewGuid():N}";

    static bool ExportHasAdapterInputs(string folder) => Adapters.Core.Exported.ExportedModel.Open(folder).Manifest.Adapters is not null;
}
