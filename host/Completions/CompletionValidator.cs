using System.Text.Json;
using Adapters.Core.Generation;
using Adapters.Host.Api;
using Adapters.Host.Backends;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Completions;

/// <summary>
/// Checks a /v1/completions body against the served models and the context length. Every refusal
/// is an <see cref="ApiException"/> that names the field and, for lengths, both numbers.
/// </summary>
internal static class CompletionValidator
{
    /// <summary>OpenAI's documented default of max_tokens for /v1/completions.</summary>
    public const int DefaultMaxTokens = 16;

    /// <summary>OpenAI allows 4 stop sequences; vLLM sets no limit. 16 is generous and keeps matching cheap.</summary>
    public const int MaxStopSequences = 16;

    public static CompletionPlan Validate(CompletionRequest request, ICompletionBackend backend)
    {
        string model = RequireModel(request.Model, backend);
        string prompt = ReadPrompt(request.Prompt);
        if (request.N is not (null or 1)) throw Invalid($"n must be 1 (this server returns one choice per request), got {request.N}", "n");
        if (request.BestOf is not (null or 1)) throw Invalid($"best_of must be 1, got {request.BestOf}", "best_of");
        if (request.Echo == true) throw Invalid("echo is not supported", "echo");
        if (request.Logprobs is not null) throw Invalid("logprobs is not supported", "logprobs");

        float temperature = request.Temperature ?? 1.0f;
        if (!(temperature >= 0) || float.IsInfinity(temperature)) throw Invalid($"temperature must be a finite number >= 0, got {temperature}", "temperature");
        float topP = request.TopP ?? 1.0f;
        if (!(topP > 0 && topP <= 1)) throw Invalid($"top_p must be in (0, 1], got {topP}", "top_p");
        if (request.Seed is long seed && seed is < int.MinValue or > int.MaxValue)
            throw Invalid($"seed must fit in 32 bits ({int.MinValue}..{int.MaxValue}), got {seed}", "seed");
        var stops = ReadStops(request.Stop);

        var promptTokens = backend.Tokenizer.Encode(prompt, addBos: true);
        int context = backend.ContextLength;
        if (promptTokens.Count > context)
            throw Invalid($"the prompt is {promptTokens.Count} tokens, longer than the model's context of {context} tokens", "prompt", "context_length_exceeded");
        int room = context - promptTokens.Count;
        if (room == 0)
            throw Invalid($"the prompt is {promptTokens.Count} tokens and fills the model's context of {context} tokens; no room is left to generate", "prompt", "context_length_exceeded");
        long maxTokens = request.MaxTokens ?? Math.Min(DefaultMaxTokens, room);
        if (maxTokens < 1) throw Invalid($"max_tokens must be at least 1, got {maxTokens}", "max_tokens");
        if (maxTokens > room)
            throw Invalid($"max_tokens is {maxTokens}, but the prompt is {promptTokens.Count} tokens and the context is {context}, so at most {room} tokens can be generated",
                "max_tokens", "context_length_exceeded");

        return new CompletionPlan
        {
            Job = new CompletionJob
            {
                Model = model,
                PromptTokens = promptTokens,
                MaxTokens = (int)maxTokens,
                Sampling = new SamplingOptions { Temperature = temperature, TopP = topP, Seed = (int?)request.Seed },
            },
            Stops = stops,
            Stream = request.Stream == true,
            IncludeUsage = request.StreamOptions?.IncludeUsage == true,
        };
    }

    static string RequireModel(string? model, ICompletionBackend backend)
    {
        if (string.IsNullOrEmpty(model)) throw Invalid("model is required (GET /v1/models lists the names)", "model");
        if (!backend.Models.Any(m => m.Id == model)) throw UnknownModel(model);
        return model;
    }

    public static ApiException UnknownModel(string model) =>
        new(StatusCodes.Status404NotFound, ErrorTypes.NotFound, $"The model '{model}' does not exist or is not loaded (GET /v1/models lists the names)", "model", "model_not_found");

    /// <summary>A string, or an array holding exactly one string (OpenAI's batch form with one prompt).</summary>
    static string ReadPrompt(JsonElement? prompt)
    {
        if (prompt is not { } element || element.ValueKind == JsonValueKind.Null) throw Invalid("prompt is required", "prompt");
        if (element.ValueKind == JsonValueKind.String) return element.GetString()!;
        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() == 1 && element[0].ValueKind == JsonValueKind.String)
            return element[0].GetString()!;
        throw Invalid($"prompt must be a string (or an array of one string), got {Describe(element)}", "prompt");
    }

    static IReadOnlyList<string> ReadStops(JsonElement? stop)
    {
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null) return [];
        var stops = new List<string>();
        if (element.ValueKind == JsonValueKind.String) stops.Add(element.GetString()!);
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) throw Invalid($"stop must hold strings only, got {Describe(item)}", "stop");
                stops.Add(item.GetString()!);
            }
        }
        else throw Invalid($"stop must be a string or an array of strings, got {Describe(element)}", "stop");
        if (stops.Count > MaxStopSequences) throw Invalid($"stop has {stops.Count} sequences; at most {MaxStopSequences} are allowed", "stop");
        if (stops.Any(s => s.Length == 0)) throw Invalid("stop sequences must not be empty strings", "stop");
        return stops;
    }

    static string Describe(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    static ApiException Invalid(string message, string param, string? code = null) =>
        new(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, message, param, code);
}
