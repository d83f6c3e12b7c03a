using Adapters.Core.IO;

namespace Adapters.Core.Model;

/// <summary>
/// A projection stored as two smaller matrices plus an optional bias (a compressed checkpoint,
/// e.g. from SFSD): y = U (V x) + b, U [out, k], V [k, in], b [out]. It replaces the dense
/// weight W [out, in] of <see cref="LlamaTensorNames.Projection"/>; an engine computes it as two
/// MatMuls and an Add. Tensor names in a checkpoint: "{module}.weight_u", "{module}.weight_v",
/// "{module}.bias" (<see cref="UName"/>, <see cref="VName"/>, <see cref="BiasName"/>).
/// </summary>
public sealed record FactorizedProjection(int Layer, string Projection, TensorData U, TensorData V, TensorData? Bias)
{
    public int Rank => U.Shape.Length == 2 ? U.Shape[1] : 0;

    /// <summary>The dense weight name this factorisation replaces.</summary>
    public string WeightName => LlamaTensorNames.Projection(Layer, Projection);

    public static string UName(int layer, string projection) => LlamaTensorNames.ProjectionModule(layer, projection) + ".weight_u";
    public static string VName(int layer, string projection) => LlamaTensorNames.ProjectionModule(layer, projection) + ".weight_v";
    public static string BiasName(int layer, string projection) => LlamaTensorNames.ProjectionModule(layer, projection) + ".bias";

    /// <summary>Parameters stored: k·(out + in) (+ out with a bias).</summary>
    public long ParameterCount => U.Data.Length + V.Data.Length + (Bias?.Data.Length ?? 0);

    /// <summary>Throws naming the tensor when a shape does not fit the model's projection.</summary>
    public FactorizedProjection Validate(LlamaConfig config, string source)
    {
        if (Layer < 0 || Layer >= config.NumLayers)
            throw new InvalidFileException(source, $"factorised projection of layer {Layer} is outside 0..{config.NumLayers - 1}");
        // The factorised bias is stored under the projection's own bias name, so a model whose
        // projection already has a bias cannot hold both.
        if (LlamaWeights.HasBias(config, Projection))
            throw new InvalidFileException(source, $"'{LlamaTensorNames.ProjectionModule(Layer, Projection)}' has a bias in this model: factorising a biased projection is not supported");
        var (o, i) = LlamaTensorNames.ProjectionShape(config, Projection);
        int k = Rank;
        if (k <= 0 || !U.HasShape(o, k))
            throw new InvalidFileException(source, $"tensor '{UName(Layer, Projection)}' has shape {U.ShapeText}, expected [{o}, k] with k ≥ 1");
        if (!V.HasShape(k, i))
            throw new InvalidFileException(source, $"tensor '{VName(Layer, Projection)}' has shape {V.ShapeText}, expected [{k}, {i}]");
        if (Bias is not null && !Bias.HasShape(o))
            throw new InvalidFileException(source, $"tensor '{BiasName(Layer, Projection)}' has shape {Bias.ShapeText}, expected [{o}]");
        return this;
    }
}
