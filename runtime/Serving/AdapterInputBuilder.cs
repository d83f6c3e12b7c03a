using Microsoft.ML.OnnxRuntime;
using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Runtime.Serving;

/// <summary>
/// Builds the adapter inputs of a run from each row's adapter, knowing adapters only through
/// the graph's adapter inputs (model_manifest.json "adapters"):
/// <list type="bullet">
/// <item>swappable: one adapter per run, its values fed under their input names (inputs it lacks keep their zero defaults);</item>
/// <item>batched: every input is fed stacked [slots, …] with the rank axis zero-padded to the slot
/// rank, and adapter_index maps rows to slots (−1 = none). The stacks are allocated once and a
/// slot keeps its adapter for as long as some row of the run uses it: when the batch's adapters
/// change (a request leaves, another joins), only the slots taken by adapters new to the batch are
/// written, in place. (Rebuilding every slot of every stack on each change, as before, cost the
/// worker thread a copy and an allocation of the whole stacks — 562 KB in bench-serve's store
/// scenario — hundreds of times a second under adapter churn, and their collection paused every thread.)</item>
/// <item>position masks: 1 where the row's adapter edits that prompt position, per group; zeros on decode steps.</item>
/// </list>
/// Not thread-safe: one per batch session. A batched feed reads the builder's stacks, so it is valid
/// until the next <see cref="Build"/>: run it and dispose it first.
/// </summary>
public sealed class AdapterInputBuilder
{
    readonly ExportedAdapterInterface _interface;
    // Batched: each input's stack [slots, …] (zeros until a slot is first filled), its shape, and the
    // id of the adapter version whose values fill each slot (0: none; ids start at 1).
    float[][]? _stacks;
    long[][]? _stackShapes;
    long[]? _slotIds;
    // Wrappers over the stacks, made with them (feeds borrow them: a decode step builds no OrtValue
    // for them), and adapter_index's buffer and wrapper for the last row count.
    OrtValue[]? _stackValues;
    long[] _index = [];
    OrtValue? _indexValue;
    // One feed and one list of the run's distinct adapters, reused by every Build: a decode step
    // used to allocate a dictionary, a list and a LINQ pipeline for them.
    readonly AdapterFeed _feed;
    readonly List<LoadedAdapter> _distinct = [];
    // Batched position masks of a run that edits no prompt position (every decode step): all
    // zeros, one read-only value fed for every group, kept for the last [rows, sequence].
    float[] _zeroMask = [];
    OrtValue? _zeroMaskValue;
    (int Rows, int Sequence) _zeroMaskShape;

    public AdapterInputBuilder(ExportedAdapterInterface adapterInterface)
    {
        _interface = adapterInterface;
        _feed = new AdapterFeed(_interface.Inputs.Count + _interface.PositionMasks.Count + 1);
    }

    public AdapterExportMode Mode => _interface.Mode;

    /// <summary>Adapters one run can serve: the slot count when batched, else 1.</summary>
    public int Capacity => _interface.Mode == AdapterExportMode.Batched ? _interface.Slots : 1;

    /// <summary>
    /// The adapter inputs of one run. The feed is this builder's own, reused: dispose it after the
    /// run and before the next <see cref="Build"/> (a second Build while it is held throws).
    /// </summary>
    /// <param name="rowAdapters">Each row's adapter, or null for the base model.</param>
    /// <param name="rows">What each row feeds; <paramref name="sequence"/> is the longest (rows are left-padded).</param>
    public AdapterFeed Build(IReadOnlyList<LoadedAdapter?> rowAdapters, IReadOnlyList<RowWindow> rows, int sequence)
    {
        if (rowAdapters.Count != rows.Count) throw new ArgumentException($"{rowAdapters.Count} row adapters for {rows.Count} rows");
        var distinct = _distinct;
        try
        {
            foreach (var adapter in rowAdapters)
                if (adapter is not null && !distinct.Contains(adapter)) distinct.Add(adapter);
            if (distinct.Count > Capacity)
                throw new ArgumentException(_interface.Mode == AdapterExportMode.Batched
                    ? $"{distinct.Count} different adapters in one run, but this export has {Capacity} slots"
                    : $"a swappable export runs one adapter at a time, this run has {distinct.Count}; export batched to mix adapters");
            // Residual edits touch prompt positions only; on a step that feeds no adapter row a
            // prompt token (every decode step) nothing is edited.
            bool edits = EditsPrompt(rowAdapters, rows);
            var feed = _feed.Begin();
            try
            {
                if (_interface.Mode == AdapterExportMode.Batched)
                {
                    AddStacked(feed, distinct, rowAdapters);
                    AddMasks(feed, rowAdapters, rows, sequence, edits);
                    return feed;
                }
                // Swappable: without edits their weights and masks are left at the graph's defaults
                // (rank 0, zero mask): the same output, without the edit's matmuls.
                if (distinct.Count == 1)
                {
                    var (names, values) = (distinct[0].InputNames, distinct[0].FeedValues);
                    for (int i = 0; i < names.Count; i++)
                        if (edits || !IsResidualEdit(names[i])) feed.AddBorrowed(names[i], values[i]);
                }
                if (edits) AddMasks(feed, rowAdapters, rows, sequence, edits);
                return feed;
            }
            catch
            {
                feed.Dispose();
                throw;
            }
        }
        finally
        {
            distinct.Clear(); // the builder holds no adapter version between runs
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

    void AddStacked(AdapterFeed feed, List<LoadedAdapter> adapters, IReadOnlyList<LoadedAdapter?> rowAdapters)
    {
        var inputs = _interface.Inputs;
        if (_stacks is null)
        {
            _stacks = new float[inputs.Count][];
            _stackShapes = new long[inputs.Count][];
            for (int i = 0; i < inputs.Count; i++)
            {
                int[] padded = inputs[i].ShapeFor(inputs[i].RankCapacity(_interface.MaxRank));
                _stacks[i] = new float[_interface.Slots * TensorData.ElementCount(padded)];
                _stackShapes[i] = [_interface.Slots, .. padded.Select(d => (long)d)];
            }
            _stackValues = [.. _stacks.Select((stack, i) => OrtValue.CreateTensorValueFromMemory(stack, _stackShapes[i]))];
            _slotIds = new long[_interface.Slots];
        }
        // Adapters already in a slot keep it; the others take the slots no adapter of this run holds.
        var slotOf = new int[adapters.Count];
        Span<bool> held = stackalloc bool[_interface.Slots];
        for (int a = 0; a < adapters.Count; a++)
        {
            slotOf[a] = Array.IndexOf(_slotIds!, adapters[a].Id);
            if (slotOf[a] >= 0) held[slotOf[a]] = true;
        }
        int free = 0;
        for (int a = 0; a < adapters.Count; a++)
        {
            if (slotOf[a] >= 0) continue;
            while (held[free]) free++;
            Fill(free, adapters[a]);
            held[free] = true;
            slotOf[a] = free;
        }
        for (int i = 0; i < inputs.Count; i++) feed.AddBorrowed(inputs[i].Name, _stackValues![i]);
        if (_index.Length != rowAdapters.Count || _indexValue is null)
        {
            _indexValue?.Dispose();
            _index = new long[rowAdapters.Count];
            _indexValue = OrtValue.CreateTensorValueFromMemory(_index, [_index.Length]);
        }
        for (int r = 0; r < _index.Length; r++)
            _index[r] = rowAdapters[r] is { } adapter ? slotOf[adapters.IndexOf(adapter)] : -1;
        feed.AddBorrowed(_interface.AdapterIndex!, _indexValue);
    }

    /// <summary>Writes <paramref name="adapter"/>'s values into slot <paramref name="slot"/> of every stack: the rank axis padded with zeros (which add nothing), zeros for inputs it lacks.</summary>
    void Fill(int slot, LoadedAdapter adapter)
    {
        var inputs = _interface.Inputs;
        for (int i = 0; i < inputs.Count; i++)
        {
            var spec = inputs[i];
            int capacity = spec.RankCapacity(_interface.MaxRank);
            int[] padded = spec.ShapeFor(capacity);
            long slotSize = TensorData.ElementCount(padded);
            var stacked = _stacks![i];
            Array.Clear(stacked, (int)(slot * slotSize), (int)slotSize);
            if (!adapter.TryGetValues(spec.Name, out var values, out var shape)) continue;
            int outer = 1, inner = 1;
            for (int d = 0; d < spec.RankAxis; d++) outer *= padded[d];
            for (int d = spec.RankAxis + 1; d < padded.Length; d++) inner *= padded[d];
            int rank = shape[spec.RankAxis];
            for (int o = 0; o < outer; o++)
                values.Slice(o * rank * inner, rank * inner).CopyTo(stacked.AsSpan(checked((int)(slot * slotSize + (long)o * capacity * inner))));
        }
        _slotIds![slot] = adapter.Id;
    }

    /// <param name="edits">What <see cref="EditsPrompt"/> says of this run: without edits every mask is the kept zero mask.</param>
    void AddMasks(AdapterFeed feed, IReadOnlyList<LoadedAdapter?> rowAdapters, IReadOnlyList<RowWindow> rows, int sequence, bool edits)
    {
        if (_interface.PositionMasks.Count == 0) return;
        if (!edits)
        {
            var zeros = ZeroMask(rows.Count, sequence);
            foreach (string name in _interface.PositionMasks.Values) feed.AddBorrowed(name, zeros);
            return;
        }
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

    OrtValue ZeroMask(int rows, int sequence)
    {
        if (_zeroMaskValue is null || _zeroMaskShape != (rows, sequence))
        {
            _zeroMaskValue?.Dispose();
            _zeroMask = new float[rows * sequence];
            _zeroMaskValue = OrtValue.CreateTensorValueFromMemory(_zeroMask, [rows, sequence, 1]);
            _zeroMaskShape = (rows, sequence);
        }
        return _zeroMaskValue;
    }
}
