using System.Globalization;
using Microsoft.Extensions.AI;
using TemplateMessage = Adapters.Core.Templates.ChatMessage;

namespace Adapters.Runtime.Chat;

/// <summary>What <see cref="AdaptersChatClient"/> accepts of Microsoft.Extensions.AI's options and messages; the rest is refused, named.</summary>
internal static class ChatOptionsCheck
{
    static readonly string[] KnownAdditionalProperties = [AdaptersChatClient.MinPKey, AdaptersChatClient.RepetitionPenaltyKey];

    public static void RefuseUnsupported(ChatOptions? options)
    {
        if (options is null) return;
        if (options.Tools is { Count: > 0 }) throw Unsupported("ChatOptions.Tools", "tool calling is not supported");
        if (options.ResponseFormat is not null and not ChatResponseFormatText)
            throw Unsupported("ChatOptions.ResponseFormat", "only text responses are supported (no constrained decoding)");
        if (options.ConversationId is not null) throw Unsupported("ChatOptions.ConversationId", "the client keeps no server-side conversations; pass the whole history");
        if (options.ContinuationToken is not null) throw Unsupported("ChatOptions.ContinuationToken", "background responses are not supported");
        if (options.AllowBackgroundResponses == true) throw Unsupported("ChatOptions.AllowBackgroundResponses", "background responses are not supported");
        if (options.Reasoning is not null) throw Unsupported("ChatOptions.Reasoning", "reasoning options are not supported");
        if (options.AdditionalProperties is { } extra)
            foreach (var key in extra.Keys)
                if (!KnownAdditionalProperties.Contains(key))
                    throw Unsupported($"ChatOptions.AdditionalProperties[\"{key}\"]", $"not implemented (known: {string.Join(", ", KnownAdditionalProperties)})");
    }

    /// <summary>A number from AdditionalProperties (any numeric type or a numeric string), or null when absent.</summary>
    public static float? Number(ChatOptions? options, string key)
    {
        if (options?.AdditionalProperties is not { } extra || !extra.TryGetValue(key, out object? value) || value is null) return null;
        try { return Convert.ToSingle(value is System.Text.Json.JsonElement json ? json.GetDouble() : value, CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is FormatException or InvalidCastException or InvalidOperationException or OverflowException)
        { throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a number, got {value}"); }
    }

    /// <summary>System, user and assistant messages of text; other roles and non-text contents are refused.</summary>
    public static TemplateMessage ToTemplateMessage(ChatMessage message)
    {
        string role = message.Role == ChatRole.System ? "system"
            : message.Role == ChatRole.User ? "user"
            : message.Role == ChatRole.Assistant ? "assistant"
            : throw Unsupported($"ChatRole '{message.Role}'", "only system, user and assistant messages are supported");
        foreach (var content in message.Contents)
            if (content is not (TextContent or UsageContent))
                throw Unsupported(content.GetType().Name, "only text contents are supported");
        return new TemplateMessage(role, message.Text);
    }

    static NotSupportedException Unsupported(string what, string why) => new($"{what}: {why}");
}
