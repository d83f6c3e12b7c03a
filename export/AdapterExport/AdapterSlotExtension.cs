using Adapters.Core.Exported;
using Adapters.Export.Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Batched exports: declares adapter_index [batch] int64 and derives what the adapter
/// extensions gather with: a safe slot (max(index, 0); Gather would read −1 as the last slot)
/// and a per-row gate [batch, 1, 1] that is 0 for rows with no adapter (index −1). Must come
/// before the adapter extensions in the extension list.
/// </summary>
public sealed class AdapterSlotExtension : ILlamaGraphExtension
{
    public AdapterSlotExtension(int slots, int maxRank)
    {
        if (slots < 1) throw new ArgumentException($"a batched export needs at least one adapter slot, got {slots}");
        if (maxRank < 1) throw new ArgumentException($"the slot rank must be positive, got {maxRank}");
        Slots = slots;
        MaxRank = maxRank;
    }

    public int Slots { get; }
    public int MaxRank { get; }

    /// <summary>[batch] int64, each in 0..Slots−1.</summary>
    public string SafeIndex { get; private set; } = "";

    /// <summary>[batch, 1, 1] float, 1 for rows with an adapter.</summary>
    public string RowGate { get; private set; } = "";

    public void AddInputs(LlamaGraphContext context)
    {
        var g = context.Graph;
        g.AddInput(AdapterInputNames.AdapterIndex, DataType.Int64, LlamaGraphContext.BatchDim);
        using var _ = g.PushScope("adapter_slots");
        SafeIndex = g.Op("Max", [AdapterInputNames.AdapterIndex, g.Int64Scalar(0)], "safe_index");
        string hasAdapter = g.Op("GreaterOrEqual", [AdapterInputNames.AdapterIndex, g.Int64Scalar(0)], "has_adapter");
        RowGate = g.Unsqueeze(g.Cast(hasAdapter, DataType.Float, "gate"), [1, 2], "row_gate");
    }
}
