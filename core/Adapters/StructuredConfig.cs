using System.Text.Json.Serialization;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// Structured weight deltas in place of LoRA's low-rank product (SURM): y = W x + ΔW x on each
/// target projection W [out, in], with ΔW one of
/// <list type="bullet">
/// <item>circulant: ΔW[i, j] = c[(i − j) mod d], c [d]; square projections only;</item>
/// <item>toeplitz: ΔW[i, j] = t[i − j + in − 1], t [out + in − 1]; any shape;</item>
/// <item>kronecker: ΔW = B ⊗ A, B [o1, i1], A [o2, i2] with out = o1·o2, in = i1·i2
/// (<see cref="KroneckerFactors"/>); out and in must not be prime;</item>
/// <item>ldr: ΔW = Σₖ C(cₖ) S(sₖ), k &lt; <see cref="Rank"/>, C circulant, S skew-circulant
/// (S[i, j] = s[i − j] for i ≥ j, −s[i − j + d] otherwise); square projections only.</item>
/// </list>
/// One factor starts at zero, so training starts from the base model.
/// </summary>
public sealed record StructuredConfig
{
    /// <summary>
    /// q_proj and o_proj: square wherever head_dim = dim / heads (circulant and ldr need square). Where
    /// head_dim differs (Qwen3: q_proj [2048, 1024] in Qwen3-0.6B) they are not, and circulant/ldr are
    /// refused naming the square projections the model has (<see cref="SquareProjections"/>, e.g. k/v).
    /// </summary>
    [JsonPropertyName("target_modules")] public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "o_proj"];
    /// <summary>Layers to adapt; empty means all.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int> Layers { get; init; } = [];
    /// <summary>ldr only: the number r of circulant × skew-circulant products; must stay 1 for the other kinds.</summary>
    [JsonPropertyName("rank")] public int Rank { get; init; } = 1;

    public StructuredConfig Validate(string method, LlamaConfig? model = null)
    {
        if (!AdapterMethods.IsStructured(method))
            throw new ArgumentException($"'{method}' is not a structured method; expected {AdapterMethods.Circulant}, {AdapterMethods.Toeplitz}, {AdapterMethods.Kronecker} or {AdapterMethods.Ldr}");
        if (Rank <= 0) throw new ArgumentException($"{method} rank must be positive, got {Rank}");
        if (method != AdapterMethods.Ldr && Rank != 1) throw new ArgumentException($"rank {Rank} applies to ldr only; {method} has no rank (leave it 1)");
        ProjectionTargets.Validate(method, TargetModules, Layers, model);
        if (model == null) return this;
        int firstLayer = LayersOf(model).First();
        foreach (string p in TargetModules)
        {
            var (o, i) = LlamaTensorNames.ProjectionShape(model, p);
            string where = $"{LlamaTensorNames.ProjectionModule(firstLayer, p)} [{o}, {i}]";
            switch (method)
            {
                case AdapterMethods.Circulant or AdapterMethods.Ldr when o != i:
                    var square = SquareProjections(model);
                    string instead = square.Count > 0
                        ? $"target the square {string.Join(", ", square)} of this model, or use toeplitz or kronecker for non-square layers"
                        : "this model has no square projection: use toeplitz or kronecker";
                    throw new ArgumentException($"{method} needs a square projection, but {where} has out {o} ≠ in {i}; {instead}");
                case AdapterMethods.Ldr when Rank > o:
                    throw new ArgumentException($"ldr rank {Rank} exceeds the size {o} of {where}");
                case AdapterMethods.Kronecker:
                    KroneckerFactors.Of(o, i, where);
                    break;
            }
        }
        return this;
    }

    public IEnumerable<int> LayersOf(LlamaConfig model) => ProjectionTargets.LayersOf(Layers, model);

    /// <summary>The projections of <paramref name="model"/> with out = in: the ones circulant and ldr can target.</summary>
    public static IReadOnlyList<string> SquareProjections(LlamaConfig model) =>
        LlamaTensorNames.Projections.Where(p => LlamaTensorNames.ProjectionShape(model, p) is var (o, i) && o == i).ToList();
}
