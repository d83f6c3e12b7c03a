using System.Diagnostics;
using Adapters.Core.Generation;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.Bench;

/// <summary>
/// Our serving path: an <see cref="OnnxBatchSession"/> fed by <see cref="AdapterInputBuilder"/>
/// exactly as the scheduler feeds it, with each row's adapter given by <see cref="RowAdapters"/>.
/// Borrows the model; owns the adapter leases it is given.
/// </summary>
public sealed class OnnxVariant : IBenchVariant
{
    readonly OnnxDecoderModel _model;
    readonly IReadOnlyList<AdapterLease> _leases;
    readonly Func<int, int, LoadedAdapter?>? _rowAdapter;
    readonly int? _onlyBatch;

    /// <param name="rowAdapter">(row, batch) → that row's adapter; null for a model without adapter inputs.</param>
    /// <param name="onlyBatch">Restricts the variant to one batch size (mixed batches make sense only full).</param>
    public OnnxVariant(string name, string kind, OnnxDecoderModel model, IReadOnlyList<AdapterLease> leases,
        Func<int, int, LoadedAdapter?>? rowAdapter, int loraRank = 0, int distinctAdapters = 0, int? onlyBatch = null)
    {
        Name = name;
        Kind = kind;
        _model = model;
        _leases = leases;
        _rowAdapter = rowAdapter;
        LoraRank = loraRank;
        DistinctAdapters = distinctAdapters;
        _onlyBatch = onlyBatch;
    }

    public string Name { get; }
    public string Engine => BenchEngines.Ours;
    public string Kind { get; }
    public int LoraRank { get; }
    public int DistinctAdapters { get; }

    public bool Supports(int batchSize) => _onlyBatch is null || _onlyBatch == batchSize;

    public GenerationTiming Run(int batchSize, IReadOnlyList<int> prompt, int steps)
    {
        var builder = _model.Exported.Manifest.Adapters is { } adapterInterface && _rowAdapter is not null ? new AdapterInputBuilder(adapterInterface) : null;
        var adapters = Enumerable.Range(0, batchSize).Select(r => _rowAdapter?.Invoke(r, batchSize)).ToArray();
        using var session = _model.StartBatch(batchSize);
        var rows = new IReadOnlyList<int>[batchSize];
        Array.Fill(rows, prompt);
        var stepMs = new List<double>(steps);

        long start = Stopwatch.GetTimestamp();
        var next = Step(session, builder, adapters, rows, prompt.Count);
        double ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        for (int s = 0; s < steps; s++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            for (int r = 0; r < batchSize; r++) rows[r] = [next[r]];
            next = Step(session, builder, adapters, rows, prompt.Count);
            stepMs.Add(Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds);
        }
        return new GenerationTiming(ttft, stepMs);
    }

    /// <summary>One forward with the adapter inputs this step needs, then greedy sampling per row.</summary>
    static int[] Step(OnnxBatchSession session, AdapterInputBuilder? builder, LoadedAdapter?[] adapters, IReadOnlyList<int>[] rows, int promptLength)
    {
        int sequence = rows.Max(r => r.Count);
        BatchLogits logits;
        if (builder is null) logits = session.ForwardBorrowed(rows);
        else
        {
            var windows = rows.Select((r, i) => new RowWindow(session.Position(i), r.Count, promptLength)).ToArray();
            using var feed = builder.Build(adapters, windows, sequence);
            logits = session.ForwardBorrowed(rows, feed.Values);
        }
        var next = new int[rows.Length];
        for (int r = 0; r < rows.Length; r++) next[r] = Sampler.ArgMax(logits.Last(r));
        return next;
    }

    public void Dispose()
    {
        foreach (var lease in _leases) lease.Dispose();
    }
}
