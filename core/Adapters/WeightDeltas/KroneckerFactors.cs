namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// How a Kronecker delta ΔW = B ⊗ A [out, in] splits its dimensions: B [Out1, In1], A [Out2, In2]
/// with out = Out1·Out2 and in = In1·In2. Out1 is the largest divisor of out not above √out (and
/// In1 likewise), so the factors are as square as the dimension allows and the parameter count
/// Out1·In1 + Out2·In2 is about √out·√in·2 — e.g. [64, 64] → B [8, 8], A [8, 8];
/// [172, 64] → B [4, 8], A [43, 8]. A prime dimension would leave one factor with a side of 1
/// (then ΔW is little more than a low-rank product), so it is refused.
/// </summary>
public sealed record KroneckerFactors(int Out1, int In1, int Out2, int In2)
{
    /// <param name="where">Names the projection in errors, e.g. "model.layers.0.mlp.down_proj [64, 173]".</param>
    public static KroneckerFactors Of(int outFeatures, int inFeatures, string? where = null)
    {
        int o1 = SmallFactor(outFeatures, "out", where), i1 = SmallFactor(inFeatures, "in", where);
        return new KroneckerFactors(o1, i1, outFeatures / o1, inFeatures / i1);
    }

    public int ParameterCount => Out1 * In1 + Out2 * In2;

    static int SmallFactor(int n, string side, string? where)
    {
        for (int f = (int)Math.Sqrt(n); f >= 2; f--)
            if (n % f == 0) return f;
        throw new ArgumentException($"kronecker needs {side} features with a divisor in 2..√{n}, but {where ?? "the projection"} has {side} = {n} (prime or < 4); use toeplitz for this layer");
    }
}
