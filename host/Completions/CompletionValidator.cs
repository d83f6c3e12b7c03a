using System.Text.Json;
using Adapters.Host.Api;
using Adapters.Host.Endpoints;
using Adapters.Runtime.Backends;
using static Adapters.Host.Completions.GenerationFieldsReader;

namespace Adapters.Host.Completions;

/// <summary>Checks a /v1/completions body against the served models and the context length.</summary>
internal static class CompletionValidator
{
    /// <summary>OpenAI's documented default of max_tokens for /v1/completions.</summary>
    public const int DefaultMaxTokens = 16;

    public static CompletionPlan Validate(CompletionRequest request, ICompletionBackend backend)
    {
        string model = RequireModel(request.Model, backend);
        string prompt = ReadPrompt(request.Prompt);
        RequireSingleChoice(request.N);
        if (request.BestOf is not (null or 1)) throw Invalid($"best_of must be 1, got {request.BestOf}", "best_of");
        if (request.Echo == true) throw Invalid("echo is not supported", "echo");
        if (request.Logprobs is not null) throw Invalid("logprobs is not supported", "logprobs");
        if (!string.IsNullOrEmpty(request.Suffix)) throw Invalid("suffix (insertion) is not supported", "suffix");
        var sampling = ReadSampling(request, backend.Tokenizer.VocabSize);
        var stops = ReadStops(request.Stop);

        var promptTokens = backend.Tokenizer.Encode(prompt, addBos: true);
        int maxTokens = ReadMaxTokens(request.MaxTokens, "max_tokens", promptTokens.Count, backend.ContextLength, DefaultMaxTokens);
        return new CompletionPlan
        {
            Job = new CompletionJob
            {
                Model = model,
                PromptTokens = promptTokens,
                MaxTokens = maxTokens,
                Sampling = sampling,
                StopTokens = backend.StopTokens,
            },
            Stops = stops,
            Stream = request.Stream == true,
            IncludeUsage = request.StreamOptions?.IncludeUsage == true,
        };
    }

    /// <summary>A string, or an array holding exactly one string (OpenAI's batch form with one prompt).</summary>
    static string ReadPrompt(JsonElement? prompt)
    {
        if (prompt is not { } element || element.ValueKind == JsonValueKind.Null) throw Invalid("prompt is required", "prompt");
        if (element.ValueKind == JsonValueKind.String) return JsonText.GetString(element, "prompt");
        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() == 1 && element[0].ValueKind == JsonValueKind.String)
            return JsonText.GetString(element[0], "prompt");
        throw Invalid($"prompt must be a string (or an array of one string), got {Describe(element)}", "prompt");
    }
}
