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

    /// <summary>Refuses a choice this mode does not use, naming it, rather than ignoring it.</summary>
    public AdapterExportOptions Validate()
    {
        if (Mode != AdapterExportMode.Batched && Slots is not null)
            throw new ArgumentException($"slots apply to a batched export only, not {Mode}");
        if (Mode != AdapterExportMode.Batched && MaxRank is not null)
            throw new ArgumentException($"a padded maximum rank applies to a batched export only, not {Mode}");
        if (Mode == AdapterExportMode.Fused)
        {
            // A fused export folds every delta into the weights exactly: it has no adapter inputs to shape.
            if (SvdRank is not null) throw new ArgumentException("an SVD rank applies to swappable and batched exports; a fused export folds every adapter's delta exactly");
            if (ExtraLoraTargets.Count > 0 || ExtraEditedLayers.Count > 0)
                throw new ArgumentException("extra LoRA targets and edited layers are adapter inputs, which a fused export does not have");
        }
        if (SvdRank is < 1) throw new ArgumentException($"the SVD rank must be >= 1, got {SvdRank}");
        return this;
    }
}
