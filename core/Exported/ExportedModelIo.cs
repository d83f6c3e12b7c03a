using System.Text.Json.Serialization;

namespace Adapters.Core.Exported;

/// <summary>The decoder graph's input and output names; per-layer names are patterns with one %d.</summary>
public sealed record ExportedModelIo
{
    [JsonPropertyName("input_ids")] public string InputIds { get; init; } = DecoderIoNames.InputIds;
    [JsonPropertyName("attention_mask")] public string AttentionMask { get; init; } = DecoderIoNames.AttentionMask;
    [JsonPropertyName("position_ids")] public string PositionIds { get; init; } = DecoderIoNames.PositionIds;
    [JsonPropertyName("past_key_names")] public string PastKeyNames { get; init; } = DecoderIoNames.PastKeyPattern;
    [JsonPropertyName("past_value_names")] public string PastValueNames { get; init; } = DecoderIoNames.PastValuePattern;
    [JsonPropertyName("logits")] public string Logits { get; init; } = DecoderIoNames.Logits;
    [JsonPropertyName("present_key_names")] public string PresentKeyNames { get; init; } = DecoderIoNames.PresentKeyPattern;
    [JsonPropertyName("present_value_names")] public string PresentValueNames { get; init; } = DecoderIoNames.PresentValuePattern;

    public string PastKey(int layer) => Format(PastKeyNames, layer);
    public string PastValue(int layer) => Format(PastValueNames, layer);
    public string PresentKey(int layer) => Format(PresentKeyNames, layer);
    public string PresentValue(int layer) => Format(PresentValueNames, layer);

    static string Format(string pattern, int layer) => DecoderIoNames.Format(pattern, layer);
}
