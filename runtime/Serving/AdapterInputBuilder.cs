using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Runtime.Serving;

/// <summary>
/// Builds the adapter inputs of a run from each row's adapter, knowing adapters only through
/// the graph's adapter inputs (model_manifest.json "adapters"):
/// <list type="bullet">
/// <item>swappable: one adapter per run, its values fed under their input names (inputs it lacks keep their zero defaults);</item>
/// <item>batched: the run's distinct adapters take slots 0..N−1, every input is fed stacked
/// [slots, …] with the rank axis zero-padded to the slot rank, and adapter_index maps rows to
/// slots (−1 = none). Stacks are rebuilt only when the slot assignment changes.</item>
/// <item>position masks: 1 where the row's adapter edits that prompt position, per group; zeros on decode steps.</item>
/// </list>
/// Not thread-safe: one per batch session.
/// </summary>
public sealed class AdapterInputBuilder
{
    readonly ExportedAdapterInterface _interface;
    long[]? _stackKey; // null until the first run, so a first run with no adapter (key []) still builds its zero stacks
    Dictionary<string, float[]> _stacks = [];

    public AdapterInputBuilder(ExportedAdapterInterface adapterInterface)
    {
        _interface = adapterInterface;
    }

    public AdapterExportMode Mode => _interface.Mode;

    /// <summary>Adapters one run can serve: the slot count when batched, else 1.</summary>
    public int Capacity => _interface.Mode == AdapterExportMode.Batched ? _interface.Slots : 1;

    /// <param name="rowAdapters">Each row's adapter, or null for the base model.</param>
    /// <param name="rows">What each row feeds; <paramref name="sequence"/> is the longest (rows are left-padded).</param>
    public AdapterFeed Build(IReadOnlyList<LoadedAdapter?> rowAdapters, IReadOnlyList<RowWindow> rows, int sequence)
    {
        if (rowAdapters.Count != rows.Count) throw new ArgumentException($"{rowAdapters.Count} row adapters for {rows.Count} rows");
        var distinct = rowAdapters.Where(a => a is not null).Select(a => a!).Distinct().ToList();
        if (distinct.Count > Capacity)
            throw new ArgumentException(_interface.Mode == AdapterExportMode.Batched
                ? $"{distinct.Count} different adapters in one run, but this export has {Capacity} slots"
                : $"a swappable export runs one adapter at a time, this run has {distinct.Count}; export batched to mix adapters");
        var feed = new AdapterFeed();
        try
        {
            if (_interface.Mode == AdapterExportMode.Batched)
            {
                AddStacked(feed, distinct, rowAdapters);
                AddMasks(feed, rowAdapters, rows, sequence);
                return feed;
            }
            // Residual edits touch prompt positions only. On a step that feeds no adapter row a
            // prompt token (every decode step) their weights and masks are left at the graph's
            // defaults (rank 0, zero mask): the same output, without the edit's matmuls.
            bool edits = EditsPrompt(rowAdapters, rows);
            if (distinct.Count == 1)
                foreach (var t in distinct[0].Tensors.Values)
                    if (edits || !IsResidualEdit(t.Name)) feed.Add(t.Name, t.Data, t.Shape.Select(d => (long)d).ToArray());
            if (edits) AddMasks(feed, rowAdapters, rows, sequence);
            return feed;
        }
        catch
        {
            feed.Dispose();
            throw;
        }
    }

    /// <summary>True when some row with a position-editing adapter feeds at least one prompt token this step.</summary>
    static bool EditsPrompt(IReadOnlyList<LoadedAdapter?> rowAdapters, IReadOnlyList<RowWindow> rows)
    {
        for (int r = 0; r < rows.Count; r++)
            if (rowAdapters[r]?.Positions is not null && rows[r].Tokens > 0 && rows[r].StartPosition < rows[r].PromptLength) return true;
        return false;
    }

    /// <summary>Residual-edit inputs (V, b, U per layer and group, see <see cref="AdapterInputNames.EditDown"/>) as opposed to LoRA's A and B.</summary>
    static bool IsResidualEdit(string inputName) => inputName.Contains(ResidualEditInfix, StringComparison.Ordinal);

    /// <summary>The part every residual-edit input name shares ("model.layers.N.residual_edit.GROUP.V").</summary>
    const string ResidualEditInfix = ".residual_edit.";

    void AddStacked(AdapterFeed feed, List<LoadedAdapter> slots, IReadOnlyList<LoadedAdapter?> rowAdapters)
    {
        long[] key = slots.Select(a => a.Id).ToArray();
        if (_stackKey is null || !key.AsSpan().SequenceEqual(_stackKey))
        {
            _stacks = _interface.Inputs.ToDictionary(spec => spec.Name, spec => Stack(spec, slots));
            _stackKey = key;
        }
        foreach (var spec in _interface.Inputs)
            feed.Add(spec.Name, _stacks[spec.Name], [_interface.Slots, .. spec.ShapeFor(spec.RankCapacity(_interface.MaxRank)).Select(d => (long)d)]);
        var index = rowAdapters.Select(a => a is null ? -1L : slots.IndexOf(a)).ToArray();
        feed.Add(_interface.AdapterIndex!, index, [index.Length]);
    }

    /// <summary>[slots, …, capacity, …]: each slot's value copied in, the rank axis padded with zeros (which add nothing).</summary>
    float[] Stack(AdapterInputSpec spec, List<LoadedAdapter> slots)
    {
        int capacity = spec.RankCapacity(_interface.MaxRank);
        int[] padded = spec.ShapeFor(capacity);
        long slotSize = TensorData.ElementCount(padded);
        var stacked = new float[_interface.Slots * slotSize];
        int outer = 1, inner = 1;
        for (int i = 0; i < spec.RankAxis; i++) outer *= padded[i];
        for (int i = spec.RankAxis + 1; i < padded.Length; i++) inner *= padded[i];
        for (int s = 0; s < slots.Count; s++)
        {
            if (!slots[s].Tensors.TryGetValue(spec.Name, out var value)) continue;
            int rank = value.Shape[spec.RankAxis];
            for (int o = 0; o < outer; o++)
                Array.Copy(value.Data, (long)o * rank * inner, stacked, s * slotSize + (long)o * capacity * inner, (long)rank * inner);
        }
        return stacked;
    }

    void AddMasks(AdapterFeed feed, IReadOnlyList<LoadedAdapter?> rowAdapters, IReadOnlyList<RowWindow> rows, int sequence)
    {
        if (_interface.PositionMasks.Count == 0) return;
        var masks = _interface.PositionMasks.ToDictionary(kv => kv.Key, _ => new float[rows.Count * sequence]);
        for (int r = 0; r < rows.Count; r++)
        {
            if (rowAdapters[r]?.Positions is not { } positions) continue;
            var (start, tokens, promptLength) = rows[r];
            if (start >= promptLength) continue; // decode steps: nothing to edit
            byte[] assigned = positions.Assign(promptLength);
            int padding = sequence - tokens;
            for (int j = 0; j < tokens && start + j < promptLength; j++)
                if (AdapterInputNames.GroupOf(assigned[start + j]) is { } group && masks.TryGetValue(group, out var mask))
                    mask[r * sequence + padding + j] = 1f;
        }
        foreach (var (group, name) in _interface.PositionMasks) feed.Add(name, masks[group], [rows.Count, sequence, 1]);
    }
}
