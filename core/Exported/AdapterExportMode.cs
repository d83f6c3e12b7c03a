namespace Adapters.Core.Exported;

/// <summary>How adapters were exported with the base model.</summary>
public enum AdapterExportMode
{
    /// <summary>Weight deltas folded into the base weights: a plain decoder, no adapter inputs.</summary>
    Fused,
    /// <summary>One adapter per run, fed as graph inputs (ONNX Runtime multi-LoRA, GenAI adapters).</summary>
    Swappable,
    /// <summary>Up to N adapters per run, stacked on a slot axis and picked per row by adapter_index.</summary>
    Batched,
}
