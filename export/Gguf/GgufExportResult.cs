namespace Adapters.Export.Gguf;

/// <summary>The files one GGUF export wrote: the model, and one LoRA file per adapter (by adapter name).</summary>
public sealed record GgufExportResult(string ModelFile, IReadOnlyDictionary<string, string> AdapterFiles);
