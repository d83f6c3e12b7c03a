using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Random-weight checkpoints of any shape for tests and benchmarks: linear weights and
/// embeddings ~ N(0, 0.02²) (GPT-2/LLaMA init scale), norm gains 1, projection biases
/// ~ N(0, 0.02²) (not zero, so that a test can tell whether an engine applies them). Deterministic per seed.
/// <para>
/// At the default scale a tiny model's attention is almost uniform (scores ~ 0.02² · dim), so rotary
/// scaling or a q/k norm hardly moves its output; a larger <c>std</c> (e.g. 0.2) gives peaked
/// attention and a <c>normStd</c> > 0 gains 1 + N(0, normStd²), which is what the reference tests use
/// to show each feature matters and that per-channel weights (q_norm, k_norm) land in the right place.
/// </para>
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>Standard deviation of initial weights used by GPT-2 and LLaMA training code.</summary>
    public const float InitStd = 0.02f;

    /// <param name="std">Standard deviation of linear weights, embeddings and biases.</param>
    /// <param name="normStd">Standard deviation of the norm gains around 1 (0: exactly 1).</param>
    public static LlamaWeights Create(LlamaConfig config, int seed = 0, float std = InitStd, float normStd = 0f)
    {
        config.Validate();
        if (!(std > 0) || !(normStd >= 0)) throw new ArgumentException($"init std must be > 0 and norm std ≥ 0, got {std} and {normStd}");
        var rng = new Random(seed);
        var tensors = LlamaWeights.ExpectedShapes(config).Select(e =>
        {
            var data = new float[TensorData.ElementCount(e.Shape)];
            if (e.Shape.Length == 1 && !e.Name.EndsWith(".bias", StringComparison.Ordinal))
            {
                if (normStd == 0) Array.Fill(data, 1f);
                else
                {
                    FillNormal(rng, data, normStd);
                    for (int i = 0; i < data.Length; i++) data[i] += 1f;
                }
            }
            else FillNormal(rng, data, std);
            return new TensorData(e.Name, e.Shape, data);
        }).ToList();
        return new LlamaWeights(config, tensors, $"random:{seed}");
    }

    static void FillNormal(Random rng, float[] data, float std)
    {
        for (int i = 0; i < data.Length; i += 2)
        {
            // Box–Muller: two independent normals per pair of uniforms.
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)) * std;
            data[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < data.Length) data[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }
}
