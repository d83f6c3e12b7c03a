namespace Adapters.Core.Adapters;

/// <summary>The layouts an adapter folder may have on disk (<see cref="AdapterSourceReader"/> decides which).</summary>
public enum AdapterSourceKind
{
    /// <summary>Ours: manifest.json + adapter.safetensors (<see cref="AdapterFolder"/>).</summary>
    Manifest,

    /// <summary>Hugging Face PEFT LoRA: adapter_config.json + adapter_model.safetensors (<see cref="PeftLoraFormat"/>).</summary>
    Peft,
}
