using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods.Lora;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Methods;

/// <summary>
/// Saves any <see cref="IAdapterMethod"/> to an adapter folder (core's <see cref="AdapterFolder"/>:
/// manifest.json + adapter.safetensors, float32) and loads one back through the
/// <see cref="AdapterMethodRegistry"/>. Core checks the base-model fingerprint, tensor names,
/// shapes and finiteness on load. LoRA also reads and writes Hugging Face PEFT folders.
/// </summary>
public static class AdapterStore
{
    /// <summary>The adapter's tensors as float32 copies, under their adapter tensor names.</summary>
    public static IReadOnlyList<TensorData> ExportTensors(IAdapterMethod method) =>
        method.Parameters.Select(p => ToTensorData(p.Name, p.Parameter)).ToList();

    /// <summary>Copies <paramref name="tensors"/> into the method's parameters; every parameter must be present with its shape.</summary>
    public static void ImportTensors(IAdapterMethod method, IReadOnlyDictionary<string, TensorData> tensors)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in method.Parameters)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new ArgumentException($"{method.Name} tensor '{name}' is missing");
            var shape = parameter.shape.Select(d => (int)d).ToArray();
            if (!t.HasShape(shape))
                throw new ArgumentException($"{method.Name} tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}]");
            using var values = tensor(t.Data, parameter.shape, ScalarType.Float32);
            parameter.copy_(values);
        }
    }

    /// <summary>Writes manifest + weights atomically; base weights are never stored.</summary>
    public static AdapterManifest Save(string folder, IAdapterMethod method, ModelFingerprint baseModel, JsonObject? training = null)
    {
        var manifest = new AdapterManifest
        {
            Method = method.Name,
            Hyperparameters = method.Hyperparameters,
            BaseModel = baseModel,
            Training = training,
        };
        AdapterFolder.Write(folder, manifest, ExportTensors(method), sparseWhenSmaller: method.PrefersSparseStorage);
        return manifest;
    }

    /// <summary>
    /// Reads an adapter trained on <paramref name="baseModel"/> (refused otherwise) — anything
    /// <see cref="AdapterSourceReader"/> reads: ours, a PEFT LoRA folder, a train run — and returns
    /// the method with its weights, not attached, in the model's dtype and device.
    /// </summary>
    public static IAdapterMethod Load(string folder, LlamaModel model, ModelFingerprint baseModel) =>
        Load(AdapterSourceReader.Read(folder, model.Config, baseModel), model);

    /// <summary>Writes a LoRA adapter in Hugging Face PEFT layout (adapter_config.json + adapter_model.safetensors).</summary>
    public static void SavePeft(string folder, LoraMethod lora, LlamaConfig model, string? baseModelName = null) =>
        Core.Adapters.PeftLoraFormat.Write(folder, lora.Config, model,
            ExportTensors(lora).ToDictionary(t => t.Name, StringComparer.Ordinal), baseModelName);

    /// <summary>The method of an adapter already read and checked, with its weights, not attached.</summary>
    public static IAdapterMethod Load(AdapterFolder adapter, LlamaModel model)
    {
        var method = AdapterMethodRegistry.Create(adapter.Manifest.Method, adapter.Manifest.Hyperparameters, model.Config, model.DType, model.Device);
        try { ImportTensors(method, adapter.Tensors); }
        catch { method.Dispose(); throw; }
        return method;
    }

    static TensorData ToTensorData(string name, Tensor t)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var host = t.detach().to(ScalarType.Float32, CPU).contiguous();
        return new TensorData(name, host.shape.Select(d => checked((int)d)).ToArray(), host.data<float>().ToArray());
    }
}
