using System.Globalization;
using System.Text.Json;
using Adapters.Core.Generation;
using Adapters.Host.Api;
using Adapters.Host.Endpoints;
using Adapters.Runtime.Backends;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Completions;

/// <summary>
/// Reads the fields both generation endpoints share (<see cref="GenerationRequestFields"/>): the
/// model, sampling, stop strings and the token budget. Every refusal is an
/// <see cref="ApiException"/> naming the field and, for lengths, both numbers.
/// </summary>
internal static class GenerationFieldsReader
{
    /// <summary>OpenAI allows 4 stop sequences; vLLM sets no limit. 16 is generous and keeps matching cheap.</summary>
    public const int MaxStopSequences = 16;

    /// <summary>OpenAI's limit on logit_bias entries.</summary>
    public const int MaxLogitBiasEntries = 300;

    public static string RequireModel(string? model, ICompletionBackend backend)
    {
        if (string.IsNullOrEmpty(model)) throw Invalid("model is required (GET /v1/models lists the names)", "model");
        if (!backend.Serves(model)) throw UnknownModel(model);
        return model;
    }

    public static ApiException UnknownModel(string model) =>
        new(StatusCodes.Status404NotFound, ErrorTypes.NotFound, $"The model '{model}' does not exist or is not loaded (GET /v1/models lists the names)", "model", "model_not_found");

    public static void RequireSingleChoice(int? n)
    {
        if (n is not (null or 1)) throw Invalid($"n must be 1 (this server returns one choice per request), got {n}", "n");
    }

    /// <summary>Sampling settings; temperature defaults to 1 as in OpenAI's API. Token ids of logit_bias must exist in the vocabulary.</summary>
    public static SamplingOptions ReadSampling(GenerationRequestFields request, int vocabSize)
    {
        float temperature = request.Temperature ?? 1.0f;
        if (!(temperature >= 0) || float.IsInfinity(temperature)) throw Invalid($"temperature must be a finite number >= 0, got {temperature}", "temperature");
        float topP = request.TopP ?? 1.0f;
        if (!(topP > 0 && topP <= 1)) throw Invalid($"top_p must be in (0, 1], got {topP}", "top_p");
        int topK = request.TopK ?? 0;
        if (topK < -1) throw Invalid($"top_k must be -1 or 0 (off) or a positive count, got {topK}", "top_k");
        float minP = request.MinP ?? 0f;
        if (!(minP >= 0 && minP <= 1)) throw Invalid($"min_p must be in [0, 1], got {minP}", "min_p");
        float repetition = request.RepetitionPenalty ?? 1f;
        if (!(repetition > 0) || float.IsInfinity(repetition)) throw Invalid($"repetition_penalty must be a finite number > 0 (1 = off), got {repetition}", "repetition_penalty");
        float presence = Penalty(request.PresencePenalty, "presence_penalty");
        float frequency = Penalty(request.FrequencyPenalty, "frequency_penalty");
        if (request.Seed is long seed && seed is < int.MinValue or > int.MaxValue)
            throw Invalid($"seed must fit in 32 bits ({int.MinValue}..{int.MaxValue}), got {seed}", "seed");
        return new SamplingOptions
        {
            Temperature = temperature,
            TopP = topP,
            TopK = Math.Max(topK, 0),
            MinP = minP,
            RepetitionPenalty = repetition,
            PresencePenalty = presence,
            FrequencyPenalty = frequency,
            LogitBias = ReadLogitBias(request.LogitBias, vocabSize),
            Seed = (int?)request.Seed,
        };
    }

    static float Penalty(float? value, string name)
    {
        float penalty = value ?? 0f;
        if (!(Math.Abs(penalty) <= SamplingOptions.MaxAbsPenalty))
            throw Invalid($"{name} must be in [-{SamplingOptions.MaxAbsPenalty}, {SamplingOptions.MaxAbsPenalty}], got {penalty}", name);
        return penalty;
    }

    /// <summary>OpenAI's shape: an object mapping token ids (as strings) to a bias in [-100, 100].</summary>
    static IReadOnlyDictionary<int, float>? ReadLogitBias(JsonElement? bias, int vocabSize)
    {
        if (bias is not { } element || element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object) throw Invalid($"logit_bias must be an object mapping token ids to numbers, got {Describe(element)}", "logit_bias");
        var result = new Dictionary<int, float>();
        foreach (var entry in element.EnumerateObject())
        {
            string key = JsonText.Name(entry, "logit_bias");
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int token) || token >= vocabSize)
                throw Invalid($"logit_bias keys must be token ids in 0..{vocabSize - 1}, got \"{Printable(key)}\"", "logit_bias");
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetSingle(out float value) || !(Math.Abs(value) <= SamplingOptions.MaxAbsLogitBias))
                throw Invalid($"logit_bias values must be numbers in [-{SamplingOptions.MaxAbsLogitBias}, {SamplingOptions.MaxAbsLogitBias}] (token {token})", "logit_bias");
            result[token] = value;
            if (result.Count > MaxLogitBiasEntries) throw Invalid($"logit_bias has more than {MaxLogitBiasEntries} entries", "logit_bias");
        }
        return result.Count == 0 ? null : result;
    }

    public static IReadOnlyList<string> ReadStops(JsonElement? stop)
    {
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null) return [];
        var stops = new List<string>();
        if (element.ValueKind == JsonValueKind.String) stops.Add(JsonText.GetString(element, "stop"));
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) throw Invalid($"stop must hold strings only, got {Describe(item)}", "stop");
                stops.Add(JsonText.GetString(item, "stop"));
            }
        }
        else throw Invalid($"stop must be a string or an array of strings, got {Describe(element)}", "stop");
        if (stops.Count > MaxStopSequences) throw Invalid($"stop has {stops.Count} sequences; at most {MaxStopSequences} are allowed", "stop");
        if (stops.Any(s => s.Length == 0)) throw Invalid("stop sequences must not be empty strings", "stop");
        return stops;
    }

    /// <summary>The token budget (see <see cref="ContextBudget"/>), refused as a 400 naming the field.</summary>
    public static int ReadMaxTokens(long? requested, string param, int promptTokens, int context, int? defaultTokens)
    {
        try { return ContextBudget.MaxNewTokens(promptTokens, context, requested, defaultTokens, param); }
        catch (ContextBudgetException e) { throw Invalid(e.Message, e.Param, e.ContextExceeded ? "context_length_exceeded" : null); }
    }

    public static string Describe(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    /// <summary>At most 40 characters of a client's string for an error message, control characters escaped.</summary>
    public static string Printable(string text)
    {
        var shown = text.Length > 40 ? text[..40] + "…" : text;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    public static ApiException Invalid(string message, string param, string? code = null) =>
        new(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, message, param, code);
}
