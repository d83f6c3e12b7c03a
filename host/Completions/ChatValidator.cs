using System.Text;
using System.Text.Json;
using Adapters.Core.Chat;
using Adapters.Core.Templates;
using Adapters.Host.Api;
using Adapters.Host.Endpoints;
using Adapters.Runtime.Backends;
using static Adapters.Host.Completions.GenerationFieldsReader;

namespace Adapters.Host.Completions;

/// <summary>
/// Checks a /v1/chat/completions body and turns its messages into prompt tokens with the model
/// folder's chat template. What this server does not implement (n > 1, tools, response_format,
/// logprobs, non-text content parts) is refused naming the field; unknown fields are ignored.
/// </summary>
internal static class ChatValidator
{
    /// <summary>Roles the templates of the served families know; OpenAI's "developer" is their "system".</summary>
    static readonly string[] Roles = ["system", "user", "assistant"];

    public static CompletionPlan Validate(ChatCompletionRequest request, ICompletionBackend backend)
    {
        string model = RequireModel(request.Model, backend);
        RequireSingleChoice(request.N);
        Refuse(request.Tools, "tools", "tool calling is not supported");
        Refuse(request.ToolChoice, "tool_choice", "tool calling is not supported");
        Refuse(request.Functions, "functions", "function calling is not supported");
        Refuse(request.FunctionCall, "function_call", "function calling is not supported");
        Refuse(request.Audio, "audio", "audio output is not supported");
        Refuse(request.Prediction, "prediction", "predicted outputs are not supported");
        if (request.ResponseFormat is { } format && format.ValueKind != JsonValueKind.Null && !IsPlainText(format))
            throw Invalid("response_format other than {\"type\": \"text\"} is not supported (no constrained decoding)", "response_format");
        if (request.Modalities is { } modalities && modalities.ValueKind == JsonValueKind.Array
            && modalities.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String || !m.ValueEquals("text")))
            throw Invalid("only the \"text\" modality is supported", "modalities");
        if (request.Logprobs == true) throw Invalid("logprobs is not supported", "logprobs");
        if (request.TopLogprobs is not null) throw Invalid("top_logprobs is not supported", "top_logprobs");

        var messages = ReadMessages(request.Messages);
        var sampling = ReadSampling(request, backend.Tokenizer.VocabSize);
        var stops = ReadStops(request.Stop);
        if (backend.Chat is null)
            throw Invalid($"the model '{backend.BaseModelName}' has no chat template (its folder has no tokenizer_config.json with a chat_template); use /v1/completions",
                "messages", "chat_template_missing");
        // OpenAI's max_completion_tokens replaced max_tokens; the newer one wins when both are sent.
        var (requested, param) = request.MaxCompletionTokens is long m ? (m, "max_completion_tokens") : (request.MaxTokens, "max_tokens");
        CompletionJob job;
        try { job = ChatJobs.Create(backend, model, messages, sampling, requested, param); }
        catch (TemplateRenderException e) { throw Invalid($"the model's chat template refused the conversation: line {e.Line}: {e.Problem}", "messages", "chat_template_error"); }
        catch (ContextBudgetException e) { throw Invalid(e.Message, e.Param == "prompt" ? "messages" : e.Param, e.ContextExceeded ? "context_length_exceeded" : null); }
        return new CompletionPlan
        {
            Job = job,
            Stops = stops,
            Stream = request.Stream == true,
            IncludeUsage = request.StreamOptions?.IncludeUsage == true,
        };
    }

    static void Refuse(JsonElement? field, string name, string why)
    {
        if (field is { } value && value.ValueKind != JsonValueKind.Null) throw Invalid($"{name}: {why}", name);
    }

    static bool IsPlainText(JsonElement format) =>
        format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var type)
        && type.ValueKind == JsonValueKind.String && type.ValueEquals("text");

    static List<ChatMessage> ReadMessages(JsonElement? messages)
    {
        if (messages is not { } array || array.ValueKind == JsonValueKind.Null) throw Invalid("messages is required", "messages");
        if (array.ValueKind != JsonValueKind.Array) throw Invalid($"messages must be an array of message objects, got {Describe(array)}", "messages");
        if (array.GetArrayLength() == 0) throw Invalid("messages must hold at least one message", "messages");
        var result = new List<ChatMessage>();
        int index = 0;
        foreach (var message in array.EnumerateArray())
        {
            string at = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object) throw Invalid($"{at} must be an object with role and content, got {Describe(message)}", at);
            result.Add(new ChatMessage(ReadRole(message, at), ReadContent(message, at)));
        }
        return result;
    }

    static string ReadRole(JsonElement message, string at)
    {
        if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            throw Invalid($"{at}.role is required and must be a string", $"{at}.role");
        string name = JsonText.GetString(role, $"{at}.role");
        if (name == "developer") return "system";
        if (name is "tool" or "function") throw Invalid($"{at}.role '{name}': tool calling is not supported", $"{at}.role");
        if (!Roles.Contains(name))
            throw Invalid($"{at}.role must be one of system, developer, user, assistant; got '{Printable(name)}'", $"{at}.role");
        foreach (string unsupported in (string[])["tool_calls", "function_call", "audio"])
            if (message.TryGetProperty(unsupported, out var value) && value.ValueKind != JsonValueKind.Null)
                throw Invalid($"{at}.{unsupported} is not supported", $"{at}.{unsupported}");
        if (message.TryGetProperty("name", out var participant) && participant.ValueKind != JsonValueKind.Null)
            throw Invalid($"{at}.name is not supported (chat templates have no participant names)", $"{at}.name");
        return name;
    }

    /// <summary>A string, or an array of text parts joined in order (OpenAI's content-part form).</summary>
    static string ReadContent(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            throw Invalid($"{at}.content is required", $"{at}.content");
        if (content.ValueKind == JsonValueKind.String) return JsonText.GetString(content, $"{at}.content");
        if (content.ValueKind != JsonValueKind.Array)
            throw Invalid($"{at}.content must be a string or an array of text parts, got {Describe(content)}", $"{at}.content");
        var text = new StringBuilder();
        int index = 0;
        foreach (var part in content.EnumerateArray())
        {
            string partAt = $"{at}.content[{index++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw Invalid($"{partAt} must be an object with a type", partAt);
            string kind = JsonText.GetString(type, $"{partAt}.type");
            if (kind != "text") throw Invalid($"{partAt}.type '{Printable(kind)}' is not supported (text parts only)", $"{partAt}.type");
            if (!part.TryGetProperty("text", out var piece) || piece.ValueKind != JsonValueKind.String)
                throw Invalid($"{partAt}.text is required and must be a string", $"{partAt}.text");
            text.Append(JsonText.GetString(piece, $"{partAt}.text"));
        }
        return text.ToString();
    }
}
