using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Serving;
using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using Adapters.Runtime;
using Adapters.Training.Engine;

namespace Adapters.Cli;

/// <summary>Opens a model with the engine the user chose (or the one its path implies) and its tokenizer.</summary>
public static class ModelOpener
{
    public const string Torch = "torch", Onnx = "onnx", Auto = "auto";

    /// <summary>An exported ONNX folder means the onnx engine; anything else the torch engine.</summary>
    public static string ResolveEngine(string engine, string modelPath) =>
        engine != Auto ? engine
        : File.Exists(Path.Combine(modelPath, ExportedModelFiles.ManifestFileName)) ? Onnx : Torch;

    public static IDecoderModel Open(string engine, string modelPath, int? threads, CliConsole console, string? adapter = null,
        ExecutionProviderPreference provider = ExecutionProviderPreference.Auto)
    {
        if (engine == Onnx)
        {
            var onnx = OnnxDecoderModel.Load(modelPath, new OnnxRuntimeOptions { IntraOpThreads = threads ?? 0, Log = console.Info, Provider = provider });
            if (adapter is null) return onnx;
            try { return OnnxWithAdapter(onnx, adapter); }
            catch { onnx.Dispose(); throw; }
        }
        if (provider != ExecutionProviderPreference.Auto)
            throw new ArgumentException($"--provider {provider.ToString().ToLowerInvariant()} is an ONNX Runtime option; use it with --engine onnx on an exported folder");
        TorchThreads.Apply(threads);
        return adapter is null ? TorchDecoderModel.Load(modelPath) : AdapterDecoderModel.Load(modelPath, adapter);
    }

    /// <summary>
    /// An exported folder with adapter inputs plus one adapter: a name exported with the folder,
    /// or anything <see cref="AdapterConverter"/> takes (an exported manifest, or an adapter
    /// folder — ours, PEFT LoRA, a train run — converted on the fly).
    /// </summary>
    static IDecoderModel OnnxWithAdapter(OnnxDecoderModel onnx, string adapter)
    {
        var exported = onnx.Exported;
        if (exported.Manifest.Adapters is null)
            throw new ArgumentException($"{exported.Folder} was exported without adapter inputs; export it with --adapter ... --mode swappable (or fused)");
        var registry = AdapterRegistry.WithExportedAdapters(exported);
        if (registry.Contains(adapter)) return new OwningDecoderModel(new OnnxAdapterModel(onnx, registry, adapter), onnx);
        var found = AdapterConverter.ManifestFor(exported, adapter, () => Directory.CreateTempSubdirectory("adapters-cli-").FullName);
        // The registry keeps the weights in memory (no byte limit here, so never evicted): a converted copy can go.
        try { return new OwningDecoderModel(new OnnxAdapterModel(onnx, registry, registry.Load(CliAdapterName, found.Manifest).Name), onnx); }
        finally { if (found.ConvertedFolder is { } scratch) Directory.Delete(scratch, recursive: true); }
    }

    /// <summary>The registry name of the one adapter `generate` was given.</summary>
    const string CliAdapterName = "cli";

    /// <summary>The named tokenizer, else the one an ONNX folder recorded, else one beside the checkpoint.</summary>
    public static ITokenizer OpenTokenizer(string? tokenizerPath, string engine, string modelPath, int vocabSize)
    {
        string path = tokenizerPath
            ?? (engine == Onnx ? ExportedModel.Open(modelPath).TokenizerPath : null)
            ?? TokenizerLocator.FindBeside(modelPath, vocabSize);
        return TokenizerLoader.Load(path, vocabSize);
    }
}
