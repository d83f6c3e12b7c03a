using Adapters.Core.Exported;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.Export.Onnx;

namespace Adapters.Export;

/// <summary>
/// Writes an ONNX model folder from LLaMA weights: model.onnx (plus model.onnx.data for very
/// large models), genai_config.json, model_manifest.json and, optionally, a copy of the
/// tokenizer file. The folder appears complete or not at all (built beside it, then renamed).
/// </summary>
public static class LlamaOnnxExporter
{
    public static ExportedModelManifest Export(LlamaWeights weights, string folder, LlamaExportOptions? options = null)
    {
        options = (options ?? new LlamaExportOptions()).Validate();
        var config = weights.Config;
        var model = LlamaDecoderGraph.Build(weights, options.Extensions, new Dictionary<string, string>
        {
            ["source_checkpoint"] = weights.Source,
        });
        bool external = options.ExternalData switch
        {
            ExternalDataMode.Always => true,
            ExternalDataMode.Never => false,
            _ => model.RequiresExternalData,
        };

        ExportedModelTokenizer? tokenizer = options.TokenizerPath is null ? null
            : new ExportedModelTokenizer { File = Path.GetFileName(options.TokenizerPath), Kind = options.TokenizerKind ?? TokenizerKinds.FromFileName(options.TokenizerPath) };
        if (tokenizer is not null && IsReservedFileName(tokenizer.File!))
            throw new ArgumentException($"tokenizer file name '{tokenizer.File}' collides with a file the exporter writes");

        var manifest = new ExportedModelManifest
        {
            Config = config,
            Fingerprint = ModelFingerprint.Of(weights),
            SourceCheckpoint = weights.Source,
            ExternalDataFile = external ? ExportedModelFiles.ExternalDataFileName : null,
            Tokenizer = tokenizer,
            BosTokenId = options.BosTokenId,
            EosTokenId = options.EosTokenId,
            PadTokenId = options.PadTokenId,
            OnnxIrVersion = OnnxGraphBuilder.IrVersion,
            OnnxOpset = OnnxGraphBuilder.OpsetVersion,
            CreatedUtc = DateTimeOffset.UtcNow,
        };

        AtomicFile.WriteDirectory(folder, tmp =>
        {
            model.Save(Path.Combine(tmp, ExportedModelFiles.ModelFileName), manifest.ExternalDataFile);
            File.WriteAllText(Path.Combine(tmp, ExportedModelFiles.GenAiConfigFileName), GenAiConfig.ToJson(config, options));
            if (tokenizer is not null) File.Copy(options.TokenizerPath!, Path.Combine(tmp, tokenizer.File!));
            // Written last: a folder with a manifest is a finished export.
            File.WriteAllText(Path.Combine(tmp, ExportedModelFiles.ManifestFileName), manifest.ToJson());
        });
        return manifest;
    }

    static bool IsReservedFileName(string name) => name is ExportedModelFiles.ModelFileName or ExportedModelFiles.ExternalDataFileName
        or ExportedModelFiles.GenAiConfigFileName or ExportedModelFiles.ManifestFileName;
}
