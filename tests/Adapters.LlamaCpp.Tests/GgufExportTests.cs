using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
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
/// `export --format gguf` checked by llama.cpp itself (LLamaSharp 0.30.0): stories260K's greedy
/// text and a LoRA's effect equal our ONNX engine's and the independent reference forward pass.
/// </summary>
public sealed class GgufExportTests : IDisposable
{
    const int BosToken = 1;
    const int NewTokens = 60;
    /// <summary>
    /// llama.cpp's float32 GGUF against the double-accumulating reference, relative to the largest
    /// |logit|: measured here at 1–3·10⁻⁴ for the base and every LoRA target alike (llama.cpp's CPU
    /// kernels are not float-exact), while the LoRA's own effect on the logits is of order 1.
    /// </summary>
    const float RelativeLogitTolerance = 1e-3f;

    /// <summary>A prompt of several positions: at one position attention ignores q and k, so a wrong q/k rotary layout would not show.</summary>
    const string Prompt = "Once upon a time, Lily saw a big red ball.";

    static readonly string[] AllProjections = [.. LlamaTensorNames.Projections];
    static readonly OnnxRuntimeOptions Onnx = new() { IntraOpThreads = 2, Log = _ => { } };

    readonly string _root = SharedModels.NewTempFolder("gguf-export");
    readonly LlamaWeights _weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
    readonly Llama2cTokenizer _tokenizer = Llama2cTokenizer.Load(SharedModels.Tok512, 512);

    [Fact]
    public void Stories260K_LlamaCppGreedy_EqualsOurEngineAndLlama2cKnownText()
    {
        var files = GgufExporter.Export(_weights, _tokenizer, [], Path.Combine(_root, "gguf"));

        var llama = LlamaCppGreedy.Run(files.ModelFile, null, [BosToken], NewTokens);
        var ours = OurGreedy(_weights, null);

        Assert.Equal(ours.Tokens, llama.Tokens);
        string text = _tokenizer.Decode(llama.Tokens.ToList());
        Assert.True(text.Length > 100, $"only '{text}'");
        Assert.StartsWith(text, SharedModels.Stories260KGreedyOpening); // 60 tokens spell a prefix of the known opening
        AssertClose(new ReferenceLlama(_weights).Step(BosToken), llama.FirstLogits, "first-step logits vs reference");
    }

    [Fact]
    public void Stories260K_Gguf_CarriesLlamaMetadataAndTokenizesAsLlama2c()
    {
        const string text = "Once upon a time, Lily saw a big red ball.";
        var files = GgufExporter.Export(_weights, _tokenizer, [], Path.Combine(_root, "gguf"));

        var llama = LlamaCppGreedy.Run(files.ModelFile, null, [BosToken], 1, tokenize: text);

        Assert.Equal("llama", llama.Metadata["general.architecture"]);
        Assert.Equal("llama", llama.Metadata["tokenizer.ggml.model"]);
        Assert.Equal(_weights.Config.NumKvHeads.ToString(), llama.Metadata["llama.attention.head_count_kv"]);
        Assert.Equal(_tokenizer.Encode(text, addBos: true), llama.Tokenized);
    }

    [Fact]
    public void LoraOnAllProjections_AppliedInLlamaCpp_ChangesTextAsOurEngineDoes()
    {
        var adapter = RandomAdapters.Lora(_weights, seed: 7, rank: 4, targets: AllProjections);
        var files = GgufExporter.Export(_weights, _tokenizer, [new AdapterSource("random", adapter)], Path.Combine(_root, "gguf"));

        var prompt = _tokenizer.Encode(Prompt, addBos: true);

        var llamaBase = LlamaCppGreedy.Run(files.ModelFile, null, prompt, NewTokens);
        var llamaLora = LlamaCppGreedy.Run(files.ModelFile, files.AdapterFiles["random"], prompt, NewTokens);
        var ours = OurGreedy(_weights, adapter, prompt);

        Assert.NotEqual(llamaBase.Tokens, llamaLora.Tokens);
        Assert.Equal(ours.Tokens, llamaLora.Tokens);
        AssertClose(ReferenceLastLogits(ReferenceLora.Fold(_weights, adapter), prompt), llamaLora.FirstLogits, "prompt logits with the LoRA vs reference");
        AssertClose(ours.FirstLogits, llamaLora.FirstLogits, "prompt logits with the LoRA vs our engine");
    }

    [Fact]
    public void LoraOnQueryAndKeyOfSomeLayers_MatchesReferenceAtEveryRotaryPosition()
    {
        var config = new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "k_proj"], Layers = [1, 3] };
        var rng = new Random(3);
        var tensors = config.ExpectedTensors(_weights.Config).ToDictionary(e => e.Name,
            e => new TensorData(e.Name, e.Shape, Enumerable.Range(0, (int)TensorData.ElementCount(e.Shape)).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()));
        var adapter = new AdapterFolder(new AdapterManifest { Method = AdapterMethods.Lora, Hyperparameters = AdapterManifest.ToJsonObject(config), BaseModel = ModelFingerprint.Of(_weights) }, tensors);
        var files = GgufExporter.Export(_weights, _tokenizer, [new AdapterSource("layers", adapter)], Path.Combine(_root, "gguf"));

        var prompt = _tokenizer.Encode(Prompt, addBos: true);

        var llama = LlamaCppGreedy.Run(files.ModelFile, files.AdapterFiles["layers"], prompt, 1);

        var expected = ReferenceLastLogits(ReferenceLora.Fold(_weights, adapter), prompt);
        var withoutLora = ReferenceLastLogits(_weights, prompt);
        Assert.True(MaxAbsDiff(expected, withoutLora) > 0.1f, "the q/k LoRA barely changes the logits: the test would not see a wrong layout");
        AssertClose(expected, llama.FirstLogits, "q/k LoRA on layers 1 and 3 vs reference");
    }

    [Fact]
    public void PeftLoraFolder_OnQueryAndKey_IsWrittenInLlamaCppsRotaryLayout()
    {
        // PEFT stores q/k lora_B rows in Hugging Face's rotate-half order; read through the path-based export they must
        // reach llama.cpp in the adjacent-pair order, or the prompt logits would differ.
        var adapter = RandomAdapters.Lora(_weights, seed: 11, rank: 4, targets: ["q_proj", "k_proj"]);
        var lora = adapter.Manifest.HyperparametersAs<LoraConfig>();
        string peft = Path.Combine(_root, "peft");
        PeftLoraFormat.Write(peft, lora, _weights.Config, adapter.Tensors);
        var files = GgufExporter.Export(_weights, SharedModels.Tok512, [peft], Path.Combine(_root, "gguf"));
        var prompt = _tokenizer.Encode(Prompt, addBos: true);

        var llama = LlamaCppGreedy.Run(files.ModelFile, files.AdapterFiles["peft"], prompt, 1);

        AssertClose(ReferenceLastLogits(ReferenceLora.Fold(_weights, adapter), prompt), llama.FirstLogits, "PEFT q/k LoRA vs reference");
    }

    [Fact]
    public void NonLoraAdapter_IsRefusedNamingItsMethod()
    {
        var reft = RandomAdapters.Reft(_weights, AdapterMethods.LoReft, seed: 1);

        var e = Assert.Throws<ArgumentException>(() => GgufExporter.Export(_weights, _tokenizer, [new AdapterSource("edit", reft)], Path.Combine(_root, "gguf")));

        Assert.Contains("loreft", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "gguf")));
    }

    static float[] ReferenceLastLogits(LlamaWeights weights, IReadOnlyList<int> prompt)
    {
        var reference = new ReferenceLlama(weights);
        float[] logits = [];
        foreach (int token in prompt) logits = reference.Step(token);
        return logits;
    }

    (IReadOnlyList<int> Tokens, float[] FirstLogits) OurGreedy(LlamaWeights weights, AdapterFolder? adapter, IReadOnlyList<int>? prompt = null)
    {
        prompt ??= [BosToken];
        string folder = Path.Combine(_root, adapter is null ? "onnx-base" : "onnx-fused");
        var model = new LlamaExportOptions { IntraOpThreads = 2 };
        if (adapter is null) LlamaOnnxExporter.Export(weights, folder, model);
        else AdapterExporter.Export(weights, [new AdapterSource("lora", adapter)], folder, new AdapterExportOptions { Mode = AdapterExportMode.Fused, Model = model });
        using var onnx = OnnxDecoderModel.Load(folder, Onnx);
        int vocab = weights.Config.VocabSize;
        float[] first;
        using (var session = onnx.StartSession()) first = session.Forward(prompt.ToArray())[^vocab..];
        return (TextGenerator.GenerateTokens(onnx, prompt, NewTokens, SamplingOptions.Greedy).ToList(), first);
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
