using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.Gguf;

/// <summary>
/// One of our LoRA adapters as a GGUF LoRA adapter (what convert_lora_to_gguf.py writes and
/// llama.cpp's llama_adapter_lora_init reads): general.type "adapter", adapter.type "lora",
/// adapter.lora.alpha, and per adapted projection "blk.N.attn_q.weight.lora_a" = A [r, in] and
/// ".lora_b" = B [out, r], both row-major as PEFT stores them (ggml dims [in, r] and [r, out]).
/// llama.cpp adds scale · (alpha / r) · B A x, so at scale 1 the edit is ours. The adapter names
/// the base model's architecture (llama.cpp refuses a mismatch), and B's q/k rows follow that
/// architecture's rotary order like the base weights do (<see cref="GgufArchitecture"/>): ours
/// are adjacent pairs, what "llama" expects (PEFT's rotate-half rows are converted when a PEFT
/// folder is read); "qwen2"/"qwen3" get them back in rotate-half order.
/// </summary>
public static class LoraGgufWriter
{
    /// <exception cref="ArgumentException">The adapter is not a LoRA, or its tensors do not fit the model.</exception>
    public static void Write(LlamaConfig model, AdapterFolder adapter, string path, string? name = null)
    {
        if (adapter.Manifest.Method != AdapterMethods.Lora)
            throw new ArgumentException($"adapter '{name ?? path}' is {adapter.Manifest.Method}; a GGUF LoRA file holds LoRA adapters only (fuse other methods into the weights, or export them to ONNX)");
        var lora = adapter.Manifest.HyperparametersAs<LoraConfig>().Validate(model);
        var arch = GgufArchitecture.For(model);
        var gguf = new GgufWriter()
            .Add(GgufKeys.Architecture, arch.Name)
            .Add(GgufKeys.Type, GgufKeys.AdapterType)
            .Add(GgufKeys.AdapterKind, GgufKeys.LoraAdapterKind)
            .Add(GgufKeys.LoraAlpha, lora.Alpha)
            .Add(GgufKeys.FileType, GgufKeys.AllF32);
        if (name != null) gguf.Add(GgufKeys.Name, name);
        foreach (int layer in lora.LayersOf(model))
            foreach (string p in lora.TargetModules)
            {
                var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(model, p);
                var a = Tensor(adapter, AdapterTensorNames.LoraA(layer, p), [lora.Rank, inFeatures]);
                var b = arch.RotaryRows(Tensor(adapter, AdapterTensorNames.LoraB(layer, p), [outFeatures, lora.Rank]), GgufArchitecture.RotatedHeads(model, p));
                gguf.AddTensor(GgufTensorNames.LoraA(layer, p), a.Shape, a.Data);
                gguf.AddTensor(GgufTensorNames.LoraB(layer, p), b.Shape, b.Data);
            }
        gguf.Write(path);
    }

    static TensorData Tensor(AdapterFolder adapter, string name, int[] shape)
    {
        if (!adapter.Tensors.TryGetValue(name, out var t)) throw new ArgumentException($"LoRA tensor '{name}' is missing");
        if (!t.HasShape(shape)) throw new ArgumentException($"LoRA tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}]");
        return t;
    }
}
