using Adapters.Core.Exported;
using Adapters.Export.Onnx;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Low-rank projection updates as graph inputs: y += (x·Aᵀ)·Bᵀ at every listed projection,
/// A [r, in] and B [out, r] (alpha / r already folded into B).
/// <list type="bullet">
/// <item>Swappable (no slots): inputs default to rank-0 tensors, so with nothing fed the update
/// is exactly zero — the convention of ONNX Runtime's LoRA adapters and GenAI's adapters.</item>
/// <item>Batched: A [slots, r_max, in] and B [slots, out, r_max], gathered per row by
/// adapter_index and gated to zero for rows without an adapter.</item>
/// </list>
/// </summary>
public sealed class LoraGraphExtension : ILlamaGraphExtension
{
    readonly HashSet<(int Layer, string Projection)> _sites;
    readonly AdapterSlotExtension? _slots;

    public LoraGraphExtension(IEnumerable<(int Layer, string Projection)> sites, AdapterSlotExtension? slots = null)
    {
        _sites = sites.ToHashSet();
        _slots = slots;
    }

    /// <summary>The inputs this extension declares (for the model manifest).</summary>
    public IEnumerable<AdapterInputSpec> Inputs(Core.Model.LlamaConfig model) => _sites.Order().SelectMany(site =>
    {
        var (outFeatures, inFeatures) = Core.Model.LlamaTensorNames.ProjectionShape(model, site.Projection);
        return new[]
        {
            new AdapterInputSpec { Name = AdapterInputNames.LoraA(site.Layer, site.Projection), Shape = [0, inFeatures], RankAxis = 0 },
            new AdapterInputSpec { Name = AdapterInputNames.LoraB(site.Layer, site.Projection), Shape = [outFeatures, 0], RankAxis = 1 },
        };
    });

    public void AddInputs(LlamaGraphContext context)
    {
        foreach (var spec in Inputs(context.Config))
        {
            if (_slots is null)
            {
                // A symbolic rank per input: ONNX Runtime must not tie adapters' ranks together.
                string rank = spec.Name + ".rank";
                var dims = spec.Shape.Select((d, i) => i == spec.RankAxis ? TensorDim.Named(rank) : TensorDim.Fixed(d)).ToArray();
                context.Graph.AddInputWithDefault(spec.Name, dims, spec.ShapeFor(0), []);
            }
            else
            {
                var dims = new[] { TensorDim.Fixed(_slots.Slots) }.Concat(spec.ShapeFor(_slots.MaxRank).Select(d => TensorDim.Fixed(d))).ToArray();
                context.Graph.AddInput(spec.Name, global::Onnx.TensorProto.Types.DataType.Float, dims);
            }
        }
    }

    public string OnProjection(LlamaGraphContext context, ProjectionSite site, string input, string output)
    {
        if (!_sites.Contains((site.Layer, site.Projection))) return output;
        var g = context.Graph;
        string a = AdapterInputNames.LoraA(site.Layer, site.Projection), b = AdapterInputNames.LoraB(site.Layer, site.Projection);
        using var _ = g.PushScope($"lora.{site.Projection}");
        if (_slots is null)
        {
            string code = g.MatMul(input, g.Transpose(a, [1, 0], "a_t"), "code");                 // [B, S, r]
            return g.Add(output, g.MatMul(code, g.Transpose(b, [1, 0], "b_t"), "update"), "adapted"); // [B, S, out]
        }
        string rowA = g.Transpose(g.Gather(a, _slots.SafeIndex, 0, "row_a"), [0, 2, 1], "row_a_t"); // [B, in, r]
        string rowB = g.Transpose(g.Gather(b, _slots.SafeIndex, 0, "row_b"), [0, 2, 1], "row_b_t"); // [B, r, out]
        string update = g.MatMul(g.MatMul(input, rowA, "code"), rowB, "update");                     // [B, S, out]
        return g.Add(output, g.Mul(update, _slots.RowGate, "gated_update"), "adapted");
    }
}
