namespace Adapters.Core.Model;

/// <summary>
/// The model families whose math the engines run: Hugging Face model_type values, which are also
/// the model.type ONNX Runtime GenAI expects. Mistral is LLaMA math plus a sliding window, which
/// is never active within the context served (see HfModelConfig).
/// </summary>
public static class ModelFamilies
{
    public const string Llama = "llama";
    public const string Mistral = "mistral";

    public static readonly IReadOnlyList<string> Supported = [Llama, Mistral];

    /// <summary>The HF architecture class of a family.</summary>
    public static string Architecture(string family) => family switch
    {
        Llama => "LlamaForCausalLM",
        Mistral => "MistralForCausalLM",
        _ => throw new ArgumentException($"family '{family}' is not supported"),
    };
}
