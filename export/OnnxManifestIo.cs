using System.Text.Json.Serialization;

namespace Adapters.Export;

/// <summary>Graph input and output names as written in the manifest (per-layer names are %d patterns).</summary>
public sealed record OnnxManifestIo
{
    [JsonPropertyName("input_ids")] public string InputIds { get; init; } = DecoderIoNames.InputIds;
    [JsonPropertyName("attention_mask")] public string AttentionMask { get; init; } = DecoderIoNames.AttentionMask;
    [JsonPropertyName("position_ids")] public string PositionIds { get; init; } = DecoderIoNames.PositionIds;
    [JsonPropertyName("past_key_names")] public string PastKeyNames { get; init; } = DecoderIoNames.PastKeyPattern;
    [JsonPropertyName("past_value_names")] public string PastValueNames { get; init; } = DecoderIoNames.PastValuePattern;
    [JsonPropertyName("logits")] public string Logits { get; init; } = DecoderIoNames.Logits;
    [JsonPropertyName("present_key_names")] public string PresentKeyNames { get; init; } = DecoderIoNames.PresentKeyPattern;
    [JsonPropertyName("present_value_names")] public string PresentValueNames { get; init; } = DecoderIoNames.PresentValuePattern;
}
