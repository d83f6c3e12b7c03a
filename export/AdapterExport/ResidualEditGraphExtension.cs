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
/// Edits touch prompt positions only, so on decode steps every mask is zero and the edit adds
/// exactly nothing — yet its nodes (two matmuls, a bias, a gate and an add per group and layer,
/// some 60 ONNX Runtime kernel launches for six edited layers) would still run every step. So the
/// graph computes once whether any mask is nonzero (<c>any_edit</c>, a bool scalar) and wraps
/// each layer's edit in an ONNX <c>If</c> on it: the then-branch is the edit above, reading the
/// hidden state, weights and masks from the enclosing graph; the else-branch is Identity(h), the
/// very value the edit would produce with all-zero masks. A decode step then costs one If and one
/// Identity per edited layer plus three nodes for <c>any_edit</c>; prefill computes as before.
/// </summary>
public sealed class ResidualEditGraphExtension : ILlamaGraphExtension
{
    readonly SortedSet<int> _layers;
    readonly AdapterSlotExtension? _slots;
    string _anyEdit = ""; // bool scalar: some position mask is nonzero (set by AddInputs)

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
        using (g.PushScope("residual_edit"))
        {
            // Max broadcasts a [1, 1, 1] default against a fed [batch, seq, 1]; ReduceMax with no
            // axes reduces every axis to a scalar.
            string masks = PositionMasks.Values.Aggregate((a, b) => g.Op("Max", [a, b], "mask_max"));
            string largest = g.Op("ReduceMax", [masks], "mask_largest", OnnxAttribute.Int("keepdims", 0));
            _anyEdit = g.Op("Greater", [largest, g.FloatScalar(0f)], "any_edit");
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
        var outer = context.Graph;
        using var _ = outer.PushScope($"layers.{layer}/residual_edit");
        // Branch outputs declare only their element type; ONNX Runtime infers the [batch, seq, dim] shape.
        return outer.If(_anyEdit, g => Edit(g, layer, hidden), _ => hidden, DataType.Float, hint: "edited");
    }

    /// <summary>h + Σ_g mask_g · Uᵀ(V_g h + b_g), built into the then-branch <paramref name="g"/>.</summary>
    string Edit(OnnxGraphBuilder g, int layer, string hidden)
    {
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
