namespace Adapters.Core.Exported;

/// <summary>
/// Names of the decoder graph's inputs and outputs: the Hugging Face / ONNX Runtime GenAI
/// convention, written into genai_config.json and the model manifest so readers never guess.
/// Per-layer names are printf patterns with one %d, the form GenAI's config uses.
/// </summary>
public static class DecoderIoNames
{
    public const string InputIds = "input_ids";                      // [batch, seq] int64
    public const string AttentionMask = "attention_mask";            // [batch, total_seq] int64, 1 = attend
    public const string PositionIds = "position_ids";                // [batch, seq] int64
    public const string PastKeyPattern = "past_key_values.%d.key";   // [batch, kv_heads, past_seq, head_size]
    public const string PastValuePattern = "past_key_values.%d.value";
    public const string Logits = "logits";                           // [batch, seq, vocab]
    public const string PresentKeyPattern = "present.%d.key";        // [batch, kv_heads, total_seq, head_size]
    public const string PresentValuePattern = "present.%d.value";

    public static string PastKey(int layer) => Format(PastKeyPattern, layer);
    public static string PastValue(int layer) => Format(PastValuePattern, layer);
    public static string PresentKey(int layer) => Format(PresentKeyPattern, layer);
    public static string PresentValue(int layer) => Format(PresentValuePattern, layer);

    /// <summary>Replaces the single %d of a per-layer pattern.</summary>
    public static string Format(string pattern, int layer) => pattern.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
