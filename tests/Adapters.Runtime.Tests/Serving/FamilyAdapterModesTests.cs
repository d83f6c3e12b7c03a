using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// Every adapter export mode on the families whose projections differ from LLaMA-2's: Qwen3
/// (q_proj [64, 48], o_proj [48, 64], q/k norm), Qwen2 (q/k/v biases beside the LoRA update) and
/// Llama 3 (scaled rotary). Fused LoRA equals the reference with the LoRA folded in; swappable
/// LoRA equals fused; a batched run with LoRA, LoReFT and no adapter in its rows equals the
/// swappable runs; GenAI with our .onnx_adapter generates our greedy tokens.
/// </summary>
public sealed class FamilyAdapterModesTests : IDisposable
{
    static readonly int[] Prompt = [1, 5, 96, 40, 0, 13, 7, 7, 60, 33];
    static readonly string[] AllProjections = [.. LlamaTensorNames.Projections];
    const int DecodeSteps = 6, NewTokens = 16;
    readonly string _root = SharedModels.NewTempFolder("family-adapter-modes");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Families => [TinyFamilies.Qwen3, TinyFamilies.Qwen2, TinyFamilies.Llama3];

    [Theory]
    [MemberData(nameof(Families))]
    public void Fused_swappable_batched_and_GenAi_agree(string family)
    {
        var weights = TinyFamilies.Weights(family);
        var lora = RandomAdapters.Lora(weights, seed: 1, rank: 4, targets: AllProjections);
        var reft = RandomAdapters.Reft(weights, AdapterMethods.LoReft, seed: 2, layers: [0, 1]);
        var model = new LlamaExportOptions { IntraOpThreads = 2 };
        AdapterSource[] sources = [new("lora", lora), new("loreft", reft)];
        string fusedFolder = Path.Combine(_root, "fused"), swappableFolder = Path.Combine(_root, "swappable"), batchedFolder = Path.Combine(_root, "batched");
        AdapterExporter.Export(weights, [sources[0]], fusedFolder, new AdapterExportOptions { Mode = AdapterExportMode.Fused, Model = model });
        AdapterExporter.Export(weights, sources, swappableFolder, new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = model });
        AdapterExporter.Export(weights, sources, batchedFolder, new AdapterExportOptions { Mode = AdapterExportMode.Batched, Slots = 2, Model = model });
        using var fused = OnnxDecoderModel.Load(fusedFolder, TestRuntime.Options);
        using var swappable = OnnxDecoderModel.Load(swappableFolder, TestRuntime.Options);
        using var batched = OnnxDecoderModel.Load(batchedFolder, TestRuntime.Options);
        int vocab = weights.Config.VocabSize;

        // Fused LoRA = the hand-folded reference; the LoRA really changes the logits.
        var reference = new ReferenceLlama(ReferenceLora.Fold(weights, lora));
        var plain = new ReferenceLlama(weights);
        float[] fusedLogits;
        using (var session = fused.StartSession()) fusedLogits = session.Forward(Prompt)[^vocab..];
        float[] expected = [], unadapted = [];
        foreach (int t in Prompt) { expected = reference.Step(t); unadapted = plain.Step(t); }
        TestRuntime.AssertClose(expected, fusedLogits, $"{family}: fused LoRA vs reference");
        Assert.True(TestRuntime.MaxAbsDiff(expected, unadapted) > 0.1f, $"{family}: the LoRA barely changes the logits");

        // Swappable LoRA = fused, over a prefill and decode steps.
        var registry = AdapterRegistry.WithExportedAdapters(swappable.Exported);
        using (var adapted = new OnnxAdapterModel(swappable, registry, "lora"))
        using (var a = adapted.StartSession())
        using (var b = fused.StartSession())
        {
            TestRuntime.AssertClose(b.Forward(Prompt), a.Forward(Prompt), $"{family}: swappable vs fused prefill");
            for (int s = 0; s < DecodeSteps; s++)
                TestRuntime.AssertClose(b.Forward([3 + s * 11]), a.Forward([3 + s * 11]), $"{family}: swappable vs fused step {s}");
        }

        // Batched rows with LoRA, LoReFT and no adapter = each alone through the swappable export.
        var batchedRegistry = AdapterRegistry.WithExportedAdapters(batched.Exported);
        string?[] names = ["lora", "loreft", null];
        var leases = names.Select(n => n is null ? null : batchedRegistry.Acquire(n)).ToList();
        var builder = new AdapterInputBuilder(batched.Exported.Manifest.Adapters!);
        using (var session = batched.StartBatch(names.Length))
        {
            var rows = names.Select(_ => (IReadOnlyList<int>)Prompt).ToArray();
            var windows = rows.Select((r, i) => new RowWindow(session.Position(i), r.Count, Prompt.Length)).ToArray();
            using var feed = builder.Build(leases.Select(l => l?.Adapter).ToArray(), windows, Prompt.Length);
            var logits = session.Forward(rows, feed.Values);
            for (int r = 0; r < names.Length; r++)
            {
                using var single = new OnnxAdapterModel(swappable, registry, names[r]);
                using var s = single.StartSession();
                TestRuntime.AssertClose(s.Forward(Prompt)[^vocab..], logits.Last(r), $"{family}: batched row {r} ({names[r] ?? "no adapter"})");
            }
        }
        foreach (var lease in leases) lease?.Dispose();

        // GenAI with our .onnx_adapter: our greedy tokens.
        List<int> ours;
        using (var adapted = new OnnxAdapterModel(swappable, registry, "lora"))
            ours = TextGenerator.GenerateTokens(adapted, Prompt, NewTokens, SamplingOptions.Greedy).ToList();
        using var genaiModel = new Model(swappableFolder);
        using var genaiAdapters = new Microsoft.ML.OnnxRuntimeGenAI.Adapters(genaiModel);
        genaiAdapters.LoadAdapter(Path.Combine(swappableFolder, AdapterExporter.AdaptersFolder, "lora" + ExportedAdapterManifest.AdapterFileSuffix), "lora");
        using var parameters = new GeneratorParams(genaiModel);
        parameters.SetSearchOption("max_length", Prompt.Length + NewTokens);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(genaiModel, parameters);
        generator.SetActiveAdapter(genaiAdapters, "lora");
        generator.AppendTokens(Prompt);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(Prompt.Length).Select(t => (int)t).ToList();
        Assert.True(genai.Count > 0);
        Assert.Equal(ours.Take(genai.Count), genai);
    }
}
