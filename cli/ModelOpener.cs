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

    public static IDecoderModel Open(string engine, string modelPath, int? threads, CliConsole console) => engine switch
    {
        Onnx => OnnxDecoderModel.Load(modelPath, new OnnxRuntimeOptions { IntraOpThreads = threads ?? 0, Log = console.Info }),
        _ => OpenTorch(modelPath, threads),
    };

    static TorchDecoderModel OpenTorch(string modelPath, int? threads)
    {
        TorchThreads.Apply(threads);
        return TorchDecoderModel.Load(modelPath);
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
