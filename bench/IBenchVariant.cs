namespace Adapters.Bench;

/// <summary>One thing to time: an engine, an exported folder and the adapters its rows use.</summary>
public interface IBenchVariant : IDisposable
{
    /// <summary>Row label in the table, e.g. "swappable LoRA r=8".</summary>
    string Name { get; }

    /// <summary>"ours" or "genai".</summary>
    string Engine { get; }

    /// <summary>Group for ratios: variants are compared with the base of the same engine.</summary>
    string Kind { get; }

    /// <summary>LoRA rank (0 = none) for the overhead-vs-rank plot.</summary>
    int LoraRank { get; }

    /// <summary>Distinct adapters in a full batch, for the throughput-vs-adapters plot; 0 when not a mixed-batch variant.</summary>
    int DistinctAdapters { get; }

    bool Supports(int batchSize);

    /// <summary>Prefills <paramref name="prompt"/> in every row, then decodes <paramref name="steps"/> tokens greedily.</summary>
    GenerationTiming Run(int batchSize, IReadOnlyList<int> prompt, int steps);
}
