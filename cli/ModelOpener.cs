using Adapters.Core.Exported;
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

    public static IDecoderModel Open(string engine, string modelPath, int? threads, CliConsole console, string? adapter = null)
    {
        if (engine == Onnx)
        {
            if (adapter != null) throw new ArgumentException("--adapter with --engine onnx is not supported yet; export the adapter fused into the model, or use --engine torch");
            return OnnxDecoderModel.Load(modelPath, new OnnxRuntimeOptions { IntraOpThreads = threads ?? 0, Log = console.Info });
        }
        TorchThreads.Apply(threads);
        return adapter is null ? TorchDecoderModel.Load(modelPath) : AdapterDecoderModel.Load(modelPath, adapter);
    }

    /// <summary>The named tokenizer, else the one an ONNX folder recorded, else one beside the checkpoint.</summary>
    public static ITokenizer OpenTokenizer(string? tokenizerPath, string engine, string modelPath, int vocabSize)
    {
        string path = tokenizerPath
            ?? (engine == Onnx ? ExportedModel.Open(modelPath).TokenizerPath : null)
            ?? TokenizerLocator.FindBeside(modelPath, vocabSize);
        return TokenizerLoader.Load(path, vocabSize);
    }
}
