using Adapters.Core.Model;

namespace Adapters.Training.Model;

/// <summary>Which module of a layer owns each projection (HF naming: self_attn or mlp).</summary>
static class Projections
{
    public static readonly string[] Attention = ["q_proj", "k_proj", "v_proj", "o_proj"];
    public static readonly string[] FeedForward = ["gate_proj", "up_proj", "down_proj"];

    public static bool IsAttention(string projection) => Attention.Contains(projection);

    public static ArgumentException Unknown(string projection) =>
        new($"unknown projection '{projection}'; expected one of {string.Join(", ", LlamaTensorNames.Projections)}");
}
