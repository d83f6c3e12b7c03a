using Adapters.Core.Exported;

namespace Adapters.Export.AdapterExport;

/// <summary>Choices of one adapter export; <see cref="Model"/> holds the base-model options (tokenizer, threads, ...).</summary>
public sealed record AdapterExportOptions
{
    public AdapterExportMode Mode { get; init; } = AdapterExportMode.Swappable;

    public LlamaExportOptions Model { get; init; } = new();

    /// <summary>Batched: adapters one run can serve; default = the number exported (at least 1).</summary>
    public int? Slots { get; init; }

    /// <summary>Batched: rank every slot is padded to; default = the largest exported rank.</summary>
    public int? MaxRank { get; init; }

    /// <summary>
    /// Swappable/batched: projections (q_proj … down_proj) given LoRA inputs in every layer on top
    /// of those the exported adapters use, so adapters registered later can target them too.
    /// </summary>
    public IReadOnlyList<string> ExtraLoraTargets { get; init; } = [];

    /// <summary>Swappable/batched: layers given residual-edit inputs on top of those the exported adapters use.</summary>
    public IReadOnlyList<int> ExtraEditedLayers { get; init; } = [];

    /// <summary>
    /// Swappable/batched: rank that weight-delta adapters with no LoRA form (gmt, circulant,
    /// toeplitz, kronecker, ldr, tarp-static) are compressed to by truncated SVD, at most
    /// min(out, in) of each projection (= exact). Null refuses them (export fused instead).
    /// </summary>
    public int? SvdRank { get; init; }
}
