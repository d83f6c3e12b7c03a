using Adapters.Core.Chat;
using Adapters.Core.Generation;
using Adapters.Core.Templates;

namespace Adapters.Runtime.Backends;

/// <summary>A conversation as a backend job: the model folder's chat template, its end-of-turn tokens, and the context budget.</summary>
public static class ChatJobs
{
    /// <param name="requestedMaxTokens">null = the rest of the context (OpenAI's chat default: no limit but the model's).</param>
    /// <exception cref="InvalidOperationException">The backend's model folder has no chat template.</exception>
    /// <exception cref="TemplateRenderException">The template refused the conversation (raise_exception) or failed on it.</exception>
    /// <exception cref="ContextBudgetException">The conversation or the token budget does not fit the context.</exception>
    public static CompletionJob Create(ICompletionBackend backend, string model, IReadOnlyList<ChatMessage> messages, SamplingOptions sampling,
        long? requestedMaxTokens, string maxTokensParam = "max_tokens")
    {
        var chat = backend.Chat ?? throw new InvalidOperationException(
            $"the model '{backend.BaseModelName}' has no chat template (its folder has no tokenizer_config.json with a chat_template)");
        var promptTokens = chat.Encode(messages);
        int maxTokens = ContextBudget.MaxNewTokens(promptTokens.Count, backend.ContextLength, requestedMaxTokens, defaultTokens: null, maxTokensParam);
        var stopTokens = new HashSet<int>(backend.StopTokens);
        stopTokens.UnionWith(chat.StopTokens);
        return new CompletionJob { Model = model, PromptTokens = promptTokens, MaxTokens = maxTokens, Sampling = sampling, StopTokens = stopTokens };
    }
}
