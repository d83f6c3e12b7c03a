using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Export.Gguf;
using Adapters.TestSupport;

namespace Adapters.LlamaCpp.Tests;

/// <summary>
/// LLaMA-2's SentencePiece tokenizer.model written as GGUF's "llama" tokenizer: llama.cpp
/// (LLamaSharp) reading the GGUF encodes text to the same ids as our SentencePiece tokenizer
/// (Microsoft.ML.Tokenizers), so pieces, scores and token types came through.
/// </summary>
public sealed class SentencePieceGgufTests : IDisposable
{
    readonly string _root = SharedModels.NewTempFolder("gguf-spm");

    [Theory]
    [InlineData("Once upon a time, there was a little girl named Lily.")]
    [InlineData("Grüße aus Zürich: 3.14 × 2 = 6.28 ☃")]
    public void Llama2Vocabulary_TokenizesInLlamaCppAsOurs(string text)
    {
        var tokenizer = SentencePieceTokenizer.Load(SharedModels.Llama2TokenizerModel, 32000);
        var config = new LlamaConfig { Dim = 16, HiddenDim = 32, NumLayers = 1, NumHeads = 2, NumKvHeads = 1, VocabSize = 32000, MaxSeqLen = 64 };
        var files = GgufExporter.Export(RandomCheckpoint.Create(config), tokenizer, [], Path.Combine(_root, "gguf"));

        var llama = LlamaCppGreedy.Run(files.ModelFile, null, [tokenizer.BosId], 1, tokenize: text);

        Assert.Equal(tokenizer.Encode(text, addBos: true), llama.Tokenized);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
