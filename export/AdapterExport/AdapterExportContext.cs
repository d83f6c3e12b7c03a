using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>What an export rule may need beyond the adapter itself.</summary>
public sealed record AdapterExportContext(LlamaConfig Model)
{
    /// <summary>The base model; tarp-static's ΔW scales its weights. Null where only the config is at hand.</summary>
    public LlamaWeights? BaseWeights { get; init; }

    /// <summary>Rank a non-low-rank weight delta is compressed to by truncated SVD; null = refuse such adapters.</summary>
    public int? SvdRank { get; init; }
}
