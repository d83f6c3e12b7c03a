namespace Adapters.Core.Model;

/// <summary>
/// The model families whose math the engines run: Hugging Face model_type values, which are also
/// the model.type ONNX Runtime GenAI expects. Mistral is LLaMA math plus a sliding window, which
/// is never active within the context served (see HfModelConfig); Qwen2 adds q/k/v biases, Qwen3
/// per-head q/k RMSNorm and an explicit head_dim (LlamaConfig carries each as a feature flag).
/// </summary>
public static class ModelFamilies
{
    public const string Llama = "llama";
    public const string Mistral = "mistral";
    public const string Qwen2 = "qwen2";
    public const string Qwen3 = "qwen3";

    public static readonly IReadOnlyList<string> Supported = [Llama, Mistral, Qwen2, Qwen3];

    /// <summary>The HF architecture class of a family.</summary>
    public static string Architecture(string family) => family switch
    {
        Llama => "LlamaForCausalLM",
        Mistral => "MistralForCausalLM",
        Qwen2 => "Qwen2ForCausalLM",
        Qwen3 => "Qwen3ForCausalLM",
        _ => throw new ArgumentException($"family '{family}' is not supported"),
    };
}
