namespace Adapters.Bench;

/// <summary>Engine and kind labels used in the report (JSON values, so they never change spelling).</summary>
public static class BenchEngines
{
    public const string Ours = "ours";
    public const string GenAi = "genai";
    public const string LlamaCpp = "llamacpp";

    /// <summary>The variant every other variant of the same engine is divided by.</summary>
    public const string BaseKind = "base";
    public const string FusedKind = "fused_lora";
    public const string SwappableKind = "swappable_lora";
    public const string SwappableNoAdapterKind = "swappable_no_adapter";
    public const string LoReftKind = "loreft";
    public const string DiReftKind = "direft";
    public const string BatchedKind = "batched_lora";
    public const string CompressedKind = "compressed_sfsd";
    /// <summary>Our base with int8 / int4 projections (export --quantize); its base is our fp32 base.</summary>
    public const string QuantizedKind = "quantized";
    /// <summary>Swappable LoRA r=8 on our int4 base.</summary>
    public const string QuantizedLoraKind = "quantized_swappable_lora";
    /// <summary>llama.cpp on a GGUF quantized by llama.cpp (Q8_0, Q4_0); its base is the F32 GGUF.</summary>
    public const string LlamaCppQuantizedKind = "llamacpp_quantized";
    /// <summary>llama.cpp with the run's LoRA r=8 as a GGUF LoRA.</summary>
    public const string LlamaCppLoraKind = "llamacpp_lora";

    /// <summary>The base exported with other contrib-op fusions than the default (export --fuse); its base is the engine's base.</summary>
    public const string FusionKind = "fusion";

    /// <summary>A second export of the same model (bench --model DIR --compare-with DIR2); its base is the engine's base, the first folder.</summary>
    public const string ComparedKind = "compared_export";

    /// <summary>
    /// A second session of the base folder, timed like any variant: identical work, so its ratio
    /// to the base is the run's resolution (noise, cache placement); ratios within |1 − control|
    /// of 1 cannot be told apart.
    /// </summary>
    public const string ControlKind = "base_control";
}
