using Adapters.Core.Adapters;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Export.AdapterExport;

namespace Adapters.Export.Gguf;

/// <summary>
/// `export --format gguf`: a folder with model.gguf (float32 base) and adapters/&lt;name&gt;.gguf,
/// one GGUF LoRA per adapter, for llama.cpp, Ollama or LLamaSharp. The folder is replaced whole.
/// </summary>
public static class GgufExporter
{
    public const string ModelFile = "model.gguf";
    public const string AdaptersFolder = "adapters";
    public const string FileSuffix = ".gguf";

    /// <summary>Reads the tokenizer and adapter folders, then exports.</summary>
    public static GgufExportResult Export(LlamaWeights weights, string tokenizerPath, IReadOnlyList<string> adapterPaths, string folder) =>
        Export(weights, TokenizerLoader.Load(tokenizerPath, weights.Config.VocabSize), AdapterExporter.ReadSources(weights, adapterPaths), folder);

    public static GgufExportResult Export(LlamaWeights weights, ITokenizer tokenizer, IReadOnlyList<AdapterSource> adapters, string folder)
    {
        var vocabulary = GgufVocabulary.From(tokenizer);
        var fingerprint = ModelFingerprint.Of(weights);
        foreach (var source in adapters)
        {
            if (source.Adapter.Manifest.BaseModel != fingerprint)
                throw new ArgumentException($"adapter '{source.Name}' was trained on base model {source.Adapter.Manifest.BaseModel}, not on {fingerprint}");
            if (source.Adapter.Manifest.Method != AdapterMethods.Lora)
                throw new ArgumentException($"adapter '{source.Name}' is {source.Adapter.Manifest.Method}; --format gguf exports LoRA adapters only");
        }
        if (adapters.Select(a => a.Name).Distinct().Count() != adapters.Count) throw new ArgumentException("adapter names must be unique");
        var full = Path.GetFullPath(folder);
        AtomicFile.WriteDirectory(full, tmp =>
        {
            LlamaGgufWriter.Write(weights, vocabulary, Path.Combine(tmp, ModelFile));
            foreach (var source in adapters)
                LoraGgufWriter.Write(weights.Config, source.Adapter, Path.Combine(tmp, AdaptersFolder, source.Name + FileSuffix), source.Name);
        });
        return new GgufExportResult(Path.Combine(full, ModelFile),
            adapters.ToDictionary(a => a.Name, a => Path.Combine(full, AdaptersFolder, a.Name + FileSuffix)));
    }
}
