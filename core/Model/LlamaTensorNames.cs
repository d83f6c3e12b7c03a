namespace Adapters.Core.Model;

/// <summary>
/// Canonical tensor names, the Hugging Face LLaMA keys. Every engine, checkpoint writer and
/// adapter uses these so that a name means the same weight everywhere. Linear weights are
/// [out_features, in_features].
/// </summary>
public static class LlamaTensorNames
{
    public const string TokenEmbedding = "model.embed_tokens.weight";   // [vocab, dim]
    public const string FinalNorm = "model.norm.weight";                // [dim]
    public const string Classifier = "lm_head.weight";                  // [vocab, dim]

    public static string Layer(int layer) => $"model.layers.{layer}";
    public static string AttentionNorm(int layer) => $"{Layer(layer)}.input_layernorm.weight";   // [dim]
    public static string FfnNorm(int layer) => $"{Layer(layer)}.post_attention_layernorm.weight"; // [dim]

    /// <summary>The seven linear projections of a layer, by their short names.</summary>
    public static readonly IReadOnlyList<string> Projections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Module path of a projection, e.g. model.layers.0.self_attn.q_proj.</summary>
    public static string ProjectionModule(int layer, string projection) => projection switch
    {
        "q_proj" or "k_proj" or "v_proj" or "o_proj" => $"{Layer(layer)}.self_attn.{projection}",
        "gate_proj" or "up_proj" or "down_proj" => $"{Layer(layer)}.mlp.{projection}",
        _ => throw new ArgumentException($"unknown projection '{projection}'; expected one of {string.Join(", ", Projections)}"),
    };

    public static string Projection(int layer, string projection) => ProjectionModule(layer, projection) + ".weight";
    /// <summary>Bias of a projection ([out]): q/k/v with qkv_bias, o_proj with o_bias.</summary>
    public static string ProjectionBias(int layer, string projection) => ProjectionModule(layer, projection) + ".bias";
    /// <summary>Qwen3 per-head RMSNorm weights of q and k, [head_dim] each.</summary>
    public static string QNorm(int layer) => $"{Layer(layer)}.self_attn.q_norm.weight";
    public static string KNorm(int layer) => $"{Layer(layer)}.self_attn.k_norm.weight";

    public static string Wq(int layer) => Projection(layer, "q_proj");       // [q_dim, dim]
    public static string Wk(int layer) => Projection(layer, "k_proj");       // [kv_dim, dim]
    public static string Wv(int layer) => Projection(layer, "v_proj");       // [kv_dim, dim]
    public static string Wo(int layer) => Projection(layer, "o_proj");       // [dim, q_dim]
    public static string W1(int layer) => Projection(layer, "gate_proj");    // [hidden, dim]
    public static string W2(int layer) => Projection(layer, "down_proj");    // [dim, hidden]
    public static string W3(int layer) => Projection(layer, "up_proj");      // [hidden, dim]

    /// <summary>[out, in] of a projection for a given config.</summary>
    public static (int Out, int In) ProjectionShape(LlamaConfig c, string projection) => projection switch
    {
        "q_proj" => (c.QDim, c.Dim),
        "o_proj" => (c.Dim, c.QDim),
        "k_proj" or "v_proj" => (c.KvDim, c.Dim),
        "gate_proj" or "up_proj" => (c.HiddenDim, c.Dim),
        "down_proj" => (c.Dim, c.HiddenDim),
        _ => throw new ArgumentException($"unknown projection '{projection}'"),
    };
}
