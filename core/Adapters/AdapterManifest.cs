using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// manifest.json of an adapter folder: which method, its hyperparameters (method-specific JSON,
/// deserialised by the method's own config record), the base model it was trained on, and the
/// weights file beside it. <see cref="CurrentFormatVersion"/> changes when the layout does.
/// </summary>
public sealed record AdapterManifest
{
    public const int CurrentFormatVersion = 1;
    public const string FileName = "manifest.json";
    public const string DefaultWeightsFile = "adapter.safetensors";

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("hyperparameters")] public required JsonObject Hyperparameters { get; init; }
    [JsonPropertyName("base_model")] public required ModelFingerprint BaseModel { get; init; }
    [JsonPropertyName("weights")] public string WeightsFile { get; init; } = DefaultWeightsFile;
    /// <summary>Free-form provenance: training data, steps, final loss.</summary>
    [JsonPropertyName("training")] public JsonObject? Training { get; init; }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public T HyperparametersAs<T>() =>
        Hyperparameters.Deserialize<T>(Json) ?? throw new InvalidDataException($"{Method} hyperparameters are empty");

    public static JsonObject ToJsonObject<T>(T config) => JsonSerializer.SerializeToNode(config, Json)!.AsObject();
}
