using Adapters.Core.Chat;
using Adapters.Core.Tokenizers;

namespace Adapters.Runtime.Backends;

/// <summary>
/// The seam between the HTTP layer and whatever runs the model: one request per session
/// (<see cref="SessionPerRequestBackend"/>, base model only) or the continuous-batching
/// scheduler that mixes adapters in one batch (<see cref="SchedulerBackend"/>). The host tokenizes, validates lengths, applies stop strings and decodes
/// text; a backend only turns prompt token ids into generated token ids.
/// </summary>
public interface ICompletionBackend : IAsyncDisposable
{
    /// <summary>Name of the base model; requests may always name it.</summary>
    string BaseModelName { get; }

    /// <summary>The base model's tokenizer; adapters share it (they never change the vocabulary).</summary>
    ITokenizer Tokenizer { get; }

    /// <summary>Tokens that end any completion (the model's EOS).</summary>
    IReadOnlySet<int> StopTokens { get; }

    /// <summary>The model folder's chat template and end-of-turn tokens; null when it has none (chat requests are then refused).</summary>
    ChatFormat? Chat { get; }

    /// <summary>Tokens a sequence may hold, prompt and completion together.</summary>
    int ContextLength { get; }

    /// <summary>What requests may name now: the base model first, then loaded adapters. A snapshot; may change between calls.</summary>
    IReadOnlyList<ModelInfo> Models { get; }

    /// <summary>
    /// True when a request may name <paramref name="model"/> now (the base model or a loaded adapter).
    /// Every request asks, so it is one lookup: building <see cref="Models"/> for it cost a server
    /// with 1,000 registered adapters ~250 KB of garbage and a sort under the registry's lock per request.
    /// </summary>
    bool Serves(string model);

    /// <summary>
    /// Generates up to <see cref="CompletionJob.MaxTokens"/> tokens after the prompt, stopping
    /// early at one of the job's stop tokens (not yielded) or the context end. Cancelling <paramref name="cancel"/> or
    /// disposing the enumerator early (the host does so at a stop string or client disconnect)
    /// must stop the work and free its slot promptly.
    /// </summary>
    /// <exception cref="UnknownModelException">The job names a model or adapter that is not loaded (it may have been unloaded since <see cref="Models"/> was read).</exception>
    IAsyncEnumerable<GeneratedToken> GenerateAsync(CompletionJob job, CancellationToken cancel);
}
