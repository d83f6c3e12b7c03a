using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods.Projection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Gmt;

/// <summary>
/// Gradient-mask tuning (<see cref="GmtConfig"/>): each target projection computes
/// y = (W + ΔW) x with a trainable ΔW [out, in] that starts at 0. ∂L/∂ΔW = ∂L/∂W, so training ΔW
/// is fine-tuning W, while the base weights stay untouched and the adapter is ΔW alone. Before
/// each optimizer step (after gradient accumulation) the gradient G is masked to
/// G ⊙ 1[|G| &gt; q], q the ⌊k·n⌋-th smallest |G| of the tensor (or of all targets together with
/// a global mask). Entries never updated stay exactly 0, so ΔW is saved sparse when that is smaller.
/// </summary>
public sealed class GmtMethod : ProjectionAdapterMethod
{
    readonly Dictionary<(int, string), Parameter> _deltas = [];

    public GmtMethod(GmtConfig config, LlamaConfig model, ScalarType dtype, Device device) : base(AdapterMethods.Gmt)
    {
        Config = config.Validate(model);
        foreach (int layer in config.LayersOf(model))
            foreach (string projection in config.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, projection);
                AddTarget(layer, projection);
                _deltas[(layer, projection)] = AddParameter(AdapterTensorNames.WeightDelta(layer, projection), zeros([o, i], dtype, device));
            }
    }

    public GmtConfig Config { get; }
    public override JsonObject Hyperparameters => AdapterManifest.ToJsonObject(Config);
    public override bool PrefersSparseStorage => true;

    /// <summary>Fraction of gradient entries the last <see cref="BeforeOptimizerStep"/> zeroed (0 before any step).</summary>
    public double LastMaskedFraction { get; private set; }

    /// <summary>Entries of ΔW that differ from zero: the weights training changed.</summary>
    public long ChangedParameterCount()
    {
        using var noGrad = no_grad();
        return Parameters.Sum(p => p.Parameter.count_nonzero().item<long>());
    }

    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight) =>
        nn.functional.linear(x, _deltas[(layer, projection)]);

    public override void BeforeOptimizerStep()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = Parameters.Select(p => p.Parameter.grad).OfType<Tensor>().ToList();
        long total = grads.Sum(g => g.numel());
        if (Config.MaskRatio == 0 || total == 0) { LastMaskedFraction = 0; return; }
        long masked = 0;
        if (Config.GlobalMask)
        {
            var threshold = Threshold(cat(grads.Select(g => g.abs().flatten()).ToList()));
            foreach (var g in grads) masked += Mask(g, threshold);
        }
        else
            foreach (var g in grads) masked += Mask(g, Threshold(g.abs().flatten()));
        LastMaskedFraction = (double)masked / total;
    }

    /// <summary>The ⌊k·n⌋-th smallest of <paramref name="magnitudes"/> (a 0-d tensor), or null when k·n &lt; 1.</summary>
    Tensor? Threshold(Tensor magnitudes)
    {
        long k = (long)Math.Floor(Config.MaskRatio * magnitudes.numel());
        return k == 0 ? null : magnitudes.kthvalue(k, 0).values;
    }

    /// <summary>Zeroes entries with |g| ≤ threshold in place; returns how many are now zero by the mask.</summary>
    static long Mask(Tensor g, Tensor? threshold)
    {
        if (threshold is null) return 0;
        var keep = g.abs() > threshold;
        g.mul_(keep.to(g.dtype));
        return g.numel() - keep.count_nonzero().item<long>();
    }
}
