using System.Globalization;
using System.Text.Json.Serialization;

namespace Adapters.Runtime;

/// <summary>The decoder graph's input and output names; per-layer names are patterns with one %d.</summary>
public sealed record ExportedModelIo
{
    [JsonPropertyName("input_ids")] public string InputIds { get; init; } = "input_ids";
    [JsonPropertyName("attention_mask")] public string AttentionMask { get; init; } = "attention_mask";
    [JsonPropertyName("position_ids")] public string PositionIds { get; init; } = "position_ids";
    [JsonPropertyName("past_key_names")] public string PastKeyNames { get; init; } = "past_key_values.%d.key";
    [JsonPropertyName("past_value_names")] public string PastValueNames { get; init; } = "past_key_values.%d.value";
    [JsonPropertyName("logits")] public string Logits { get; init; } = "logits";
    [JsonPropertyName("present_key_names")] public string PresentKeyNames { get; init; } = "present.%d.key";
    [JsonPropertyName("present_value_names")] public string PresentValueNames { get; init; } = "present.%d.value";

    public string PastKey(int layer) => Format(PastKeyNames, layer);
    public string PastValue(int layer) => Format(PastValueNames, layer);
    public string PresentKey(int layer) => Format(PresentKeyNames, layer);
    public string PresentValue(int layer) => Format(PresentValueNames, layer);

    static string Format(string pattern, int layer) => pattern.Replace("%d", layer.ToString(CultureInfo.InvariantCulture));
}
