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
