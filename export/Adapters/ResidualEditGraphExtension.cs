using Adapters.Core.Exported;
using Adapters.Export.Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// ReFT-style edits of the residual stream after each listed layer, as graph inputs:
/// h ← h + Σ_g mask_g · Uᵀ(V_g h + b_g) over the position groups g (prefix, suffix), with
/// V_g, U_g [r, dim], b_g [r] and mask_g [batch, seq, 1] (1 at the prompt positions the group
/// edits; all zeros on decode steps).
/// <list type="bullet">
/// <item>Swappable: weights default to rank 0 and masks to a zero [1, 1, 1], so the base runs unchanged.</item>
/// <item>Batched: V [slots, r_max, dim], b [slots, r_max], U [slots, r_max, dim] gathered per row
/// by adapter_index, gated to zero for rows without an adapter; masks are always fed.</item>
/// </list>
/// </summary>
public sealed class ResidualEditGraphExtension : ILlamaGraphExtension
{
    readonly SortedSet<int> _layers;
    readonly AdapterSlotExtension? _slots;

    public ResidualEditGraphExtension(IEnumerable<int> layers, AdapterSlotExtension? slots = null)
    {
        _layers = new SortedSet<int>(layers);
        _slots = slots;
    }

    public IReadOnlyDictionary<string, string> PositionMasks =>
        _layers.Count == 0 ? new Dictionary<string, string>() : AdapterInputNames.Groups.ToDictionary(g => g, AdapterInputNames.PositionMask);

    public IEnumerable<AdapterInputSpec> Inputs(Core.Model.LlamaConfig model) => _layers.SelectMany(layer => AdapterInputNames.Groups.SelectMany(group => new[]
    {
        new AdapterInputSpec { Name = AdapterInputNames.EditDown(layer, group), Shape = [0, model.Dim], RankAxis = 0 },
        new AdapterInputSpec { Name = AdapterInputNames.EditBias(layer, group), Shape = [0], RankAxis = 0 },
        new AdapterInputSpec { Name = AdapterInputNames.EditUp(layer, group), Shape = [0, model.Dim], RankAxis = 0 },
    }));

    public void AddInputs(LlamaGraphContext context)
    {
        if (_layers.Count == 0) return;
        var g = context.Graph;
        foreach (string mask in PositionMasks.Values)
        {
            TensorDim[] dims = [LlamaGraphContext.BatchDim, LlamaGraphContext.SequenceDim, 1];
            if (_slots is null) g.AddInputWithDefault(mask, ["mask_batch", "mask_sequence", 1], [1, 1, 1], [0f]);
            else g.AddInput(mask, DataType.Float, dims);
        }
        foreach (var spec in Inputs(context.Config))
        {
            if (_slots is null)
            {
                string rank = spec.Name + ".rank";
                var dims = spec.Shape.Select((d, i) => i == spec.RankAxis ? TensorDim.Named(rank) : TensorDim.Fixed(d)).ToArray();
                g.AddInputWithDefault(spec.Name, dims, spec.ShapeFor(0), []);
            }
            else
            {
                var dims = new[] { TensorDim.Fixed(_slots.Slots) }.Concat(spec.ShapeFor(_slots.MaxRank).Select(d => TensorDim.Fixed(d))).ToArray();
                g.AddInput(spec.Name, DataType.Float, dims);
            }
        }
    }

    public string OnResidualStream(LlamaGraphContext context, int layer, string hidden)
    {
        if (!_layers.Contains(layer)) return hidden;
        var g = context.Graph;
        using var _ = g.PushScope($"layers.{layer}/residual_edit");
        string edited = hidden;
        foreach (string group in AdapterInputNames.Groups)
        {
            string v = AdapterInputNames.EditDown(layer, group), b = AdapterInputNames.EditBias(layer, group), u = AdapterInputNames.EditUp(layer, group);
            string mask = AdapterInputNames.PositionMask(group);
            string delta;
            if (_slots is null)
            {
                string code = g.Add(g.MatMul(hidden, g.Transpose(v, [1, 0], "v_t"), "vh"), b, "code"); // [B, S, r]
                delta = g.MatMul(code, u, "delta");                                                     // [B, S, dim]
            }
            else
            {
                string rowV = g.Transpose(g.Gather(v, _slots.SafeIndex, 0, "row_v"), [0, 2, 1], "row_v_t"); // [B, dim, r]
                string rowB = g.Unsqueeze(g.Gather(b, _slots.SafeIndex, 0, "row_b"), [1], "row_b");          // [B, 1, r]
                string rowU = g.Gather(u, _slots.SafeIndex, 0, "row_u");                                       // [B, r, dim]
                string code = g.Add(g.MatMul(hidden, rowV, "vh"), rowB, "code");                               // [B, S, r]
                delta = g.Mul(g.MatMul(code, rowU, "delta_ungated"), _slots.RowGate, "delta");                 // [B, S, dim]
            }
            edited = g.Add(edited, g.Mul(delta, mask, $"{group}_delta"), $"{group}_edited");
        }
        return edited;
    }
}
