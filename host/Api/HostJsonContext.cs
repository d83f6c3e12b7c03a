using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>Source-generated serializers for every wire type: no reflection, and only the declared names.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(LoadLoraAdapterRequest))]
[JsonSerializable(typeof(UnloadLoraAdapterRequest))]
[JsonSerializable(typeof(StatusResponse))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
