using Adapters.Core.Adapters;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Any foldable weight-delta method that is not low-rank (gmt, circulant, toeplitz, kronecker,
/// ldr, tarp-static), carried swappable/batched as LoRA inputs: each projection's dense ΔW
/// (core's <see cref="AdapterWeightDelta"/>) is compressed to rank k by truncated SVD, lora_A =
/// √S Vᵀ [k, in], lora_B = U √S [out, k], packed per projection group. Lossy below full rank, so the relative Frobenius error
/// is reported per projection and overall. A fused export carries such adapters exactly.
/// </summary>
public sealed class SvdLoraExportRule(string method) : IAdapterExportRule
{
    /// <summary>The methods this rule carries: every foldable one with no LoRA form of its own.</summary>
    public static readonly IReadOnlyList<string> CompressedMethods =
        [AdapterMethods.Gmt, AdapterMethods.Circulant, AdapterMethods.Toeplitz, AdapterMethods.Kronecker, AdapterMethods.Ldr, AdapterMethods.TarpStatic];

    public string Method => method;

    public AdapterGraphValues GraphValues(AdapterFolder adapter, AdapterExportContext context)
    {
        if (context.SvdRank is not { } rank)
            throw new ArgumentException($"a {method} adapter's weight delta is not low-rank: export it fused (--mode fused, exact), "
                + "or pass --svd-rank R (AdapterExportOptions.SvdRank) to carry it as a rank-R LoRA by truncated SVD");
        var delta = new AdapterWeightDelta(adapter, context.Model, context.BaseWeights);
        var tensors = new List<TensorData>();
        var errors = new Dictionary<string, double>(StringComparer.Ordinal);
        double residual = 0, norm = 0;
        foreach (var groupSites in delta.Targets.GroupBy(t => (t.Layer, Group: ProjectionGroup.Of(t.Projection))))
        {
            var members = new Dictionary<string, (TensorData A, TensorData B)>();
            foreach (var (layer, projection) in groupSites)
            {
                var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(context.Model, projection);
                if (rank > Math.Min(outFeatures, inFeatures))
                    throw new ArgumentException($"--svd-rank {rank} exceeds min(out, in) = {Math.Min(outFeatures, inFeatures)} of {projection} [{outFeatures}, {inFeatures}]");
                var svd = TruncatedSvd.Compute(delta.Materialize(layer, projection), outFeatures, inFeatures, rank);
                members[projection] = (new TensorData("A", [rank, inFeatures], svd.A), new TensorData("B", [outFeatures, rank], svd.B));
                errors[LlamaTensorNames.ProjectionModule(layer, projection)] = svd.RelativeError;
                residual += svd.ResidualNorm * svd.ResidualNorm;
                norm += svd.Norm * svd.Norm;
            }
            tensors.AddRange(PackedLoraFactors.Pack(context.Model, groupSites.Key.Layer, groupSites.Key.Group, members));
        }
        return new AdapterGraphValues
        {
            Projections = delta.Targets,
            Tensors = tensors,
            Rank = rank,
            SvdRelativeError = norm > 0 ? Math.Sqrt(residual / norm) : 0,
            SvdProjectionErrors = errors,
        };
    }
}
