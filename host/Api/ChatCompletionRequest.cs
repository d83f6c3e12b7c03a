using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>
/// The body of POST /v1/chat/completions. The fields this server does not implement (tools,
/// response_format, logprobs, ...) are declared so that sending them is refused naming them
/// instead of being ignored.
/// </summary>
internal sealed record ChatCompletionRequest : GenerationRequestFields
{
    [JsonPropertyName("messages")] public JsonElement? Messages { get; init; }
    [JsonPropertyName("max_completion_tokens")] public long? MaxCompletionTokens { get; init; }
    [JsonPropertyName("logprobs")] public bool? Logprobs { get; init; }
    [JsonPropertyName("top_logprobs")] public int? TopLogprobs { get; init; }
    [JsonPropertyName("tools")] public JsonElement? Tools { get; init; }
    [JsonPropertyName("tool_choice")] public JsonElement? ToolChoice { get; init; }
    [JsonPropertyName("functions")] public JsonElement? Functions { get; init; }
    [JsonPropertyName("function_call")] public JsonElement? FunctionCall { get; init; }
    [JsonPropertyName("response_format")] public JsonElement? ResponseFormat { get; init; }
    [JsonPropertyName("audio")] public JsonElement? Audio { get; init; }
    [JsonPropertyName("modalities")] public JsonElement? Modalities { get; init; }
    [JsonPropertyName("prediction")] public JsonElement? Prediction { get; init; }
}
