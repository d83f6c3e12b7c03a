namespace Adapters.Core.Exported;

/// <summary>
/// model_manifest.json "attention": how the graph computes attention, which decides how a runtime
/// feeds the KV cache. A missing field reads as <see cref="Standard"/> (folders written before it existed).
/// </summary>
public static class ExportedAttention
{
    /// <summary>Standard ONNX ops; the cache grows by Concat: present = past + new slots, padding masked by attention_mask.</summary>
    public const string Standard = "standard";

    /// <summary>
    /// com.microsoft GroupQueryAttention with rotary inside: the past and present of a layer may be
    /// one buffer written in place; attention_mask gives each row's length (ones, then zeros), never holes.
    /// </summary>
    public const string GroupQuery = "group_query";

    public static readonly IReadOnlyList<string> All = [Standard, GroupQuery];
}
