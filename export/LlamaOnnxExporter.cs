using Adapters.Core.Tokenizers;
using Adapters.Core.Exported;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.Export.Onnx;
using Adapters.Export.Quantization;

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
        var fusions = (options.Fusions ?? DecoderFusions.Default(config)).ValidateFor(config);
        options = options with { Fusions = fusions };
        var quantizer = options.Quantization is { } q ? new MatMulNBitsEmitter(q) : null;
        var model = LlamaDecoderGraph.Build(weights, options.Extensions, new Dictionary<string, string>
        {
            ["source_checkpoint"] = weights.Source,
        }, quantizer, fusions);
        bool external = options.ExternalData switch
        {
            ExternalDataMode.Always => true,
            ExternalDataMode.Never => false,
            _ => model.RequiresExternalData,
        };

        // Loading checks the file and that its vocabulary matches the model's before anything is written.
        string? tokenizerFile = options.TokenizerPath is null ? null : TokenizerLoader.ResolveFile(options.TokenizerPath);
        ITokenizer? loadedTokenizer = tokenizerFile is null ? null : TokenizerLoader.Load(tokenizerFile, config.VocabSize);
        var tokenizerKind = tokenizerFile is null ? (TokenizerKind?)null : TokenizerLoader.DetectKind(tokenizerFile);
        ExportedModelTokenizer? tokenizer = tokenizerFile is null ? null : new ExportedModelTokenizer
        {
            // A Hugging Face tokenizer is copied under its standard names, which GenAI and our loader read.
            File = tokenizerKind == TokenizerKind.HuggingFace ? HfTokenizerWriter.TokenizerJsonFile : Path.GetFileName(tokenizerFile),
            Kind = TokenizerLoader.ManifestName(tokenizerKind!.Value),
        };
        if (loadedTokenizer is not null && tokenizerKind == TokenizerKind.HuggingFace)
            options = HuggingFaceSpecialTokens(loadedTokenizer, tokenizerFile!, options);
        if (tokenizer is not null && tokenizerKind != TokenizerKind.HuggingFace && IsReservedFileName(tokenizer.File!))
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
            Adapters = options.AdapterInterface,
            Quantization = quantizer?.Report(),
            Attention = fusions.GroupQueryAttention ? ExportedAttention.GroupQuery : ExportedAttention.Standard,
            Fusions = fusions == DecoderFusions.None ? [] : fusions.ToString().Split(','),
            CreatedUtc = DateTimeOffset.UtcNow,
        };

        AtomicFile.WriteDirectory(folder, tmp =>
        {
            model.Save(Path.Combine(tmp, ExportedModelFiles.ModelFileName), manifest.ExternalDataFile);
            File.WriteAllText(Path.Combine(tmp, ExportedModelFiles.GenAiConfigFileName), GenAiConfig.ToJson(config, options));
            if (tokenizer is not null)
            {
                File.Copy(tokenizerFile!, Path.Combine(tmp, tokenizer.File!));
                if (tokenizerKind == TokenizerKind.HuggingFace)
                {
                    // tokenizer_config.json carries the special-token policy and the chat template.
                    string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerFile!))!, HfTokenizerWriter.TokenizerConfigFile);
                    if (File.Exists(configPath)) File.Copy(configPath, Path.Combine(tmp, HfTokenizerWriter.TokenizerConfigFile));
                }
                else
                {
                    WriteHuggingFaceTokenizer(loadedTokenizer!, tmp, config.MaxSeqLen);
                    CarryChatTemplate(tokenizerFile!, tmp);
                }
            }
            options.WriteAdditionalFiles?.Invoke(tmp);
            // Written last: a folder with a manifest is a finished export.
            File.WriteAllText(Path.Combine(tmp, ExportedModelFiles.ManifestFileName), manifest.ToJson());
        });
        return manifest;
    }

    /// <summary>
    /// Llama 3, Qwen and Mistral ids are not llama2.c's 1/2/0: the tokenizer's own files say them.
    /// Padding is tokenizer_config.json's pad_token, else EOS (as GenAI's model builder pads); a
    /// vocabulary without BOS (Qwen) records the padding token there too, as Qwen's config.json
    /// does (&lt;|endoftext|&gt;), not an id of an ordinary piece. GenAI also stops at the end-of-turn
    /// tokens (&lt;|eot_id|&gt;, &lt;|im_end|&gt;), as our runtime does.
    /// </summary>
    static LlamaExportOptions HuggingFaceSpecialTokens(ITokenizer tokenizer, string tokenizerFile, LlamaExportOptions options)
    {
        int eos = tokenizer.EosId >= 0 ? tokenizer.EosId : options.EosTokenId;
        var config = HfTokenizerConfig.LoadBeside(tokenizerFile);
        int pad = config.PadToken is { } padToken && tokenizer.TokenId(padToken) is int padId ? padId : eos;
        int bos = tokenizer.BosId >= 0 ? tokenizer.BosId : pad;
        return options with
        {
            BosTokenId = bos,
            EosTokenId = eos,
            PadTokenId = pad,
            StopTokenIds = [eos, .. tokenizer.EndOfTurnIds.Where(id => id != eos).Distinct()],
        };
    }

    static bool IsReservedFileName(string name) => name is ExportedModelFiles.ModelFileName or ExportedModelFiles.ExternalDataFileName
        or ExportedModelFiles.GenAiConfigFileName or ExportedModelFiles.ManifestFileName
        or HfTokenizerWriter.TokenizerJsonFile or HfTokenizerWriter.TokenizerConfigFile;

    /// <summary>
    /// A llama2.c or SentencePiece tokenizer has no place for a chat template; a tokenizer_config.json
    /// beside it (the Hugging Face layout) may hold one, and the written config keeps it.
    /// </summary>
    static void CarryChatTemplate(string tokenizerFile, string folder)
    {
        string beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerFile))!, HfTokenizerWriter.TokenizerConfigFile);
        if (!File.Exists(beside) || HfTokenizerConfig.Load(beside).ChatTemplate is not { } template) return;
        string written = Path.Combine(folder, HfTokenizerWriter.TokenizerConfigFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(written))!.AsObject();
        json["chat_template"] = template;
        File.WriteAllText(written, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>GenAI's <c>new Tokenizer(model)</c> reads Hugging Face tokenizer files, whatever kind we copied.</summary>
    static void WriteHuggingFaceTokenizer(ITokenizer tokenizer, string folder, int contextLength)
    {
        switch (tokenizer)
        {
            case Llama2cTokenizer llama2c: HfTokenizerWriter.Write(llama2c, folder, contextLength); break;
            case SentencePieceTokenizer sentencePiece: HfTokenizerWriter.Write(sentencePiece, folder, contextLength); break;
            default: throw new ArgumentException($"cannot write tokenizer.json for a {tokenizer.GetType().Name}");
        }
    }
}
