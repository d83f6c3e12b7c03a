using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Gguf;
using Adapters.Runtime;
using Adapters.TestSupport;

namespace Adapters.LlamaCpp.Tests;

/// <summary>
/// `export --format gguf` of every family, run by llama.cpp itself: Llama 3 (llama3 rope scaling
/// as rope_freqs), Llama with attention biases, Mistral, Qwen2 (architecture "qwen2", q/k/v
/// biases) and Qwen3 ("qwen3", q/k norm, head_dim ≠ dim / heads; both rotate halves, so their
/// rows are permuted back). llama.cpp's greedy tokens equal our ONNX engine's, its logits the
/// independent reference's, and a q/k LoRA lands in the architecture's rotary order.
/// </summary>
public sealed class FamilyGgufTests : IDisposable
{
    const int NewTokens = 24;
    /// <summary>As in <see cref="GgufExportTests"/>: llama.cpp's float32 CPU kernels, relative to the largest |logit|.</summary>
    const float RelativeLogitTolerance = 1e-3f;
    static readonly int[] Prompt = [1, 5, 96, 40, 300, 13, 7, 7, 460, 33, 81, 250];
    static readonly OnnxRuntimeOptions Onnx = new() { IntraOpThreads = 2, Log = _ => { } };

    readonly string _root = SharedModels.NewTempFolder("gguf-family");
    readonly Llama2cTokenizer _tokenizer = Llama2cTokenizer.Load(SharedModels.Tok512, 512);

    /// <summary>A tiny family model with tok512's vocabulary (llama.cpp needs a real one of the model's size).</summary>
    static LlamaWeights Weights(string family, RopeScaling? scaling = null)
    {
        var config = TinyFamilies.Config(family) with { VocabSize = 512 };
        if (scaling is not null) config = config with { RopeScaling = scaling };
        return TinyFamilies.Weights(config);
    }

    public static TheoryData<string> Families => [.. TinyFamilies.Names];

    [Theory]
    [MemberData(nameof(Families))]
    public void LlamaCpp_RunsTheFamilysGguf_LikeOurEngineAndTheReference(string family) => AssertAgrees(Weights(family), family);

    [Fact]
    public void LinearRopeScaling_IsWrittenAsLlamaCppsScalingKeys() =>
        AssertAgrees(Weights(TinyFamilies.Llama3, new RopeScaling { Type = RopeScaling.Linear, Factor = 4 }), "linear");

    [Theory]
    [InlineData(TinyFamilies.Qwen3)]
    [InlineData(TinyFamilies.Qwen2)]
    public void QueryKeyLora_OnARotateHalfArchitecture_MatchesTheReference(string family)
    {
        var weights = Weights(family);
        var adapter = RandomAdapters.Lora(weights, seed: 3, rank: 2, targets: ["q_proj", "k_proj"]);
        var files = GgufExporter.Export(weights, _tokenizer, [new AdapterSource("qk", adapter)], Path.Combine(_root, "gguf"));

        var llama = LlamaCppGreedy.Run(files.ModelFile, files.AdapterFiles["qk"], Prompt, 1);

        var expected = ReferenceLastLogits(ReferenceLora.Fold(weights, adapter), Prompt);
        Assert.True(MaxAbsDiff(expected, ReferenceLastLogits(weights, Prompt)) > 0.1f, "the q/k LoRA barely changes the logits: a wrong row order would not show");
        AssertClose(expected, llama.FirstLogits, $"{family} q/k LoRA vs reference");
    }

    [Fact]
    public void Qwen3WithAttentionBias_IsRefusedNamingWhatLlamaCppLacks()
    {
        var weights = TinyFamilies.Weights(TinyFamilies.Config(TinyFamilies.Qwen3) with { VocabSize = 512, QkvBias = true, OutputBias = true });

        var e = Assert.Throws<ArgumentException>(() => GgufExporter.Export(weights, _tokenizer, [], Path.Combine(_root, "gguf")));

        Assert.Contains("qwen3", e.Message);
        Assert.Contains("bias", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "gguf")));
    }

    [Fact]
    public void HuggingFaceTokenizerJson_IsRefusedNamingWhatLlamaCppReads()
    {
        var qwen3 = TokenizerLoader.Load(HfTokenizerFiles.Folder("qwen3"));

        var e = Assert.Throws<ArgumentException>(() => GgufVocabulary.From(qwen3));

        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("\"gpt2\"", e.Message);
        Assert.Contains("tokenizer.ggml.merges", e.Message);
    }

    void AssertAgrees(LlamaWeights weights, string what)
    {
        var files = GgufExporter.Export(weights, _tokenizer, [], Path.Combine(_root, "gguf-" + what));
        var llama = LlamaCppGreedy.Run(files.ModelFile, null, Prompt, NewTokens);

        string expectedArch = weights.Config.Family switch { ModelFamilies.Qwen2 => "qwen2", ModelFamilies.Qwen3 => "qwen3", _ => "llama" };
        Assert.Equal(expectedArch, llama.Metadata["general.architecture"]);
        AssertClose(ReferenceLastLogits(weights, Prompt), llama.FirstLogits, $"{what}: llama.cpp prompt logits vs reference");

        string folder = Path.Combine(_root, "onnx-" + what);
        LlamaOnnxExporter.Export(weights, folder, new LlamaExportOptions { IntraOpThreads = 2 });
        using var onnx = OnnxDecoderModel.Load(folder, Onnx);
        var ours = TextGenerator.GenerateTokens(onnx, Prompt, NewTokens, SamplingOptions.Greedy).ToList();
        // Ours stops at EOS (2); llama.cpp's loop here does not.
        Assert.Equal(ours, llama.Tokens.Take(ours.Count));
        Assert.True(ours.Count >= 8, $"{what}: only {ours.Count} tokens before EOS");
    }

    static float[] ReferenceLastLogits(LlamaWeights weights, IReadOnlyList<int> prompt)
    {
        var reference = new ReferenceLlama(weights);
        float[] logits = [];
        foreach (int token in prompt) logits = reference.Step(token);
        return logits;
    }

    static float MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0, scale = 1;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        Assert.True(max <= RelativeLogitTolerance * scale, $"{what}: max |Δlogit| = {max:G3} > {RelativeLogitTolerance:G3} × max |logit| {scale:G3}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
