using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Export;
using Adapters.TestSupport;
using Microsoft.ML.OnnxRuntimeGenAI;
using Xunit.Abstractions;

namespace Adapters.Runtime.Tests;

/// <summary>
/// Each family's shrunk configuration (tests/reference/families: random weights from init-random,
/// exported with the family's real tokenizer): ONNX Runtime's logits over the prefill and 16 decode
/// steps equal the committed independent numpy reference, and ONNX Runtime GenAI loading the
/// exported folder generates the reference's greedy tokens.
/// </summary>
public sealed class FamilyReferenceOnnxTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>float32 ONNX Runtime against the float64 reference: rounding only.</summary>
    const double Tolerance = 1e-4;

    readonly string _dir = SharedModels.NewTempFolder("family-onnx");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static IEnumerable<object[]> Cases => FamilyReferenceCase.Names;

    string Export(FamilyReferenceCase c)
    {
        var weights = HfCheckpoint.Read(c.WriteCheckpoint(Path.Combine(_dir, c.Name)));
        string folder = Path.Combine(_dir, c.Name + "-onnx");
        LlamaOnnxExporter.Export(weights, folder, new LlamaExportOptions { IntraOpThreads = 2, TokenizerPath = c.TokenizerFolder });
        return folder;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Onnx_logits_over_prefill_and_16_decode_steps_equal_the_reference(string name)
    {
        var c = FamilyReferenceCase.Get(name);
        var reference = c.Reference;
        using var model = OnnxDecoderModel.Load(Export(c), TestRuntime.Options);
        using var session = model.StartSession();
        int vocab = model.Config.VocabSize;

        var rows = new List<float[]>();
        float[] prefill = session.Forward(reference.PromptIds);
        for (int i = 0; i < reference.PromptIds.Length; i++) rows.Add(prefill[(i * vocab)..((i + 1) * vocab)]);
        foreach (int token in reference.GreedyIds.Take(reference.Steps)) rows.Add(session.Forward([token]));

        Assert.Equal(reference.Rows.Length, rows.Count);
        double max = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(reference.Rows[i].ArgMax, Sampler.ArgMax(rows[i]));
            max = Math.Max(max, reference.Rows[i].MaxDifference(rows[i]));
        }
        output.WriteLine($"{name}: ONNX Runtime max |logit difference| to the reference = {max:E2} over {rows.Count} positions");
        Assert.InRange(max, 0, Tolerance);
    }

    /// <summary>
    /// genai_config.json names the tokenizer's own special ids, not llama2.c's 1/2/0: Qwen has no BOS
    /// and pads with &lt;|endoftext|&gt; (151643, what Qwen's config.json calls bos_token_id); Llama 3
    /// pads with EOS; generation also stops at the chat end-of-turn token.
    /// </summary>
    [Theory]
    [InlineData("qwen3-tiny", 151643, 151643, new[] { 151645, 151643 })]
    [InlineData("llama3-tiny", 128000, 128001, new[] { 128001, 128009 })]
    [InlineData("mistral-tiny", 1, 2, new[] { 2 })]
    public void GenAi_config_names_the_tokenizers_special_ids(string name, int bos, int pad, int[] stops)
    {
        var c = FamilyReferenceCase.Get(name);
        var model = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Export(c), "genai_config.json")))!["model"]!;
        Assert.Equal(bos, (int)model["bos_token_id"]!);
        Assert.Equal(pad, (int)model["pad_token_id"]!);
        var eos = model["eos_token_id"]!;
        int[] listed = eos is System.Text.Json.Nodes.JsonArray array ? array.Select(e => (int)e!).ToArray() : [(int)eos];
        Assert.Equal(stops[0], listed[0]);
        Assert.Equal(stops.Order(), listed.Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GenAi_loads_the_exported_folder_and_generates_the_reference_greedy_tokens(string name)
    {
        var c = FamilyReferenceCase.Get(name);
        var reference = c.Reference;
        string folder = Export(c);

        using var model = new Model(folder);
        using var parameters = new GeneratorParams(model);
        int length = reference.PromptIds.Length + reference.GreedyIds.Length;
        parameters.SetSearchOption("max_length", length);
        parameters.SetSearchOption("min_length", length); // a random model may emit EOS; the comparison is over every step
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens(reference.PromptIds);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(reference.PromptIds.Length).Select(t => (int)t).ToArray();

        output.WriteLine($"{name}: GenAI {string.Join(",", genai)}");
        Assert.Equal(reference.GreedyIds, genai);
    }
}
