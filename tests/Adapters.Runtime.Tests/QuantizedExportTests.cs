using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Quantization;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>
/// <c>export --quantize</c>: the MatMulNBits weights in the file, read back by a reader written
/// from the operator's specification, are what ONNX Runtime computes with (logits equal the naive
/// reference on those weights), they stay within a quantization step of the originals, and the
/// manifest reports their error; adapters keep working on a quantized base.
/// </summary>
public sealed class QuantizedExportTests
{
    internal static readonly LlamaWeights Stories = Llama2cCheckpoint.Read(SharedModels.Stories260K);
    static readonly int[] Prompt = [1, 403, 407, 261, 378];

    /// <summary>
    /// accuracy_level 4 quantizes the activations to int8 per block before the product: on the int4
    /// stories260K export (logits up to about ±15) that moves a logit by at most this much from the
    /// fp32-activation result over a prompt and 8 steps (measured 0.44 here; the bound leaves room
    /// for other CPUs' kernels). An error in the layout would move them by whole units.
    /// </summary>
    const float Int8ActivationLogitTolerance = 1.0f;

    internal static LlamaExportOptions Quantized(int bits, int accuracyLevel, int? classifierBits = null) => new()
    {
        IntraOpThreads = 2,
        Quantization = new QuantizationOptions { Bits = bits, AccuracyLevel = accuracyLevel, ClassifierBits = classifierBits },
    };

    [Theory]
    [InlineData(4, null)]
    [InlineData(8, null)]
    [InlineData(4, 8)]
    [InlineData(8, 4)]
    public void Logits_with_fp32_activations_equal_the_reference_on_the_weights_the_file_holds(int bits, int? classifierBits)
    {
        using var export = new TempExport(Stories, Quantized(bits, accuracyLevel: 0, classifierBits));
        var model = MatMulNBitsSpecReader.ReadModel(export.Folder);
        var nodes = MatMulNBitsSpecReader.Nodes(model);
        Assert.Equal(Stories.Config.NumLayers * 4 + (classifierBits is null ? 0 : 1), nodes.Count);
        Assert.All(nodes, n => Assert.Equal(n.Weight == LlamaTensorNames.Classifier ? classifierBits : bits, (int)n.Bits));
        Assert.Contains(model.OpsetImport, o => o.Domain == "com.microsoft" && o.Version == 1);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "MatMul" && n.Input.Any(i => i.EndsWith(".weight.T", StringComparison.Ordinal)));

        using var loaded = export.Load();
        AssertMatchesReference(loaded, MatMulNBitsSpecReader.Dequantized(Stories, model), TestRuntime.LogitTolerance);
    }

    [Fact]
    public void Int8_activations_stay_close_to_the_fp32_activation_result()
    {
        using var fp32Activations = new TempExport(Stories, Quantized(4, accuracyLevel: 0));
        using var int8Activations = new TempExport(Stories, Quantized(4, accuracyLevel: 4));
        using var exact = fp32Activations.Load();
        using var fast = int8Activations.Load();
        using var a = exact.StartSession();
        using var b = fast.StartSession();
        float worst = TestRuntime.MaxAbsDiff(a.Forward(Prompt), b.Forward(Prompt));
        for (int step = 0; step < 8; step++) worst = Math.Max(worst, TestRuntime.MaxAbsDiff(a.Forward([300 + step]), b.Forward([300 + step])));
        Assert.True(worst <= Int8ActivationLogitTolerance, $"max |Δlogit| between accuracy levels 0 and 4 = {worst:G3}");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void Quantized_weights_are_within_a_step_of_the_originals_and_the_manifest_reports_their_error(int bits)
    {
        using var export = new TempExport(Stories, Quantized(bits, QuantizationOptions.DefaultAccuracyLevel));
        var dequantized = MatMulNBitsSpecReader.Dequantized(Stories, MatMulNBitsSpecReader.ReadModel(export.Folder));
        var report = export.Manifest.Quantization!;
        Assert.Equal(bits, report.Bits);
        Assert.Equal(32, report.BlockSize);
        Assert.Null(report.ClassifierBits);

        double totalError = 0, totalNorm = 0;
        int levels = 1 << bits;
        foreach (string name in Enumerable.Range(0, Stories.Config.NumLayers).SelectMany(l => LlamaTensorNames.Projections.Select(p => LlamaTensorNames.Projection(l, p))))
        {
            float[] w = Stories[name].Data, q = dequantized[name].Data;
            int k = Stories[name].Shape[1];
            double error = 0, norm = 0;
            for (int i = 0; i < w.Length; i += 0)
            {
                // One block: its extreme weight sets the step; every weight lands within half a step,
                // except a weight of the opposite sign as large as the extreme, clipped by one step.
                int rowEnd = (i / k + 1) * k, end = Math.Min(i + 32, rowEnd);
                float amax = 0;
                for (int j = i; j < end; j++) amax = Math.Max(amax, Math.Abs(w[j]));
                double step = 2.0 * amax / levels;
                for (int j = i; j < end; j++)
                {
                    double d = Math.Abs(w[j] - (double)q[j]);
                    Assert.True(d <= step * 0.5 + 1e-7 || (Math.Abs(w[j]) > amax - step && d <= step + 1e-7),
                        $"{name}[{j}]: |{w[j]} − {q[j]}| = {d:G3} exceeds the step {step:G3}");
                    error += (w[j] - (double)q[j]) * (w[j] - (double)q[j]);
                    norm += (double)w[j] * w[j];
                }
                i = end;
            }
            Assert.Equal(Math.Sqrt(error / norm), report.ProjectionErrors[name], 1e-9);
            totalError += error;
            totalNorm += norm;
        }
        Assert.Equal(Stories.Config.NumLayers * LlamaTensorNames.Projections.Count, report.ProjectionErrors.Count);
        Assert.Equal(Math.Sqrt(totalError / totalNorm), report.RelativeError, 1e-9);
        Assert.InRange(report.RelativeError, 1e-4, bits == 8 ? 0.01 : 0.15);
    }

    [Fact]
    public void Quantization_is_deterministic_and_int8_error_is_a_fraction_of_int4s()
    {
        using var first = new TempExport(Stories, Quantized(4, 4, classifierBits: 8));
        using var second = new TempExport(Stories, Quantized(4, 4, classifierBits: 8));
        using var int8 = new TempExport(Stories, Quantized(8, 4));
        var a = MatMulNBitsSpecReader.ReadModel(first.Folder).Graph.Initializer.Where(t => t.DataType == (int)Onnx.TensorProto.Types.DataType.Uint8).ToList();
        var b = MatMulNBitsSpecReader.ReadModel(second.Folder).Graph.Initializer.Where(t => t.DataType == (int)Onnx.TensorProto.Types.DataType.Uint8).ToList();
        Assert.Equal(Stories.Config.NumLayers * 4 + 1, a.Count);
        Assert.Equal(a.Select(t => (t.Name, Convert.ToHexString(t.RawData.Span))), b.Select(t => (t.Name, Convert.ToHexString(t.RawData.Span))));
        Assert.Equal(first.Manifest.Quantization!.RelativeError, second.Manifest.Quantization!.RelativeError);
        // 16× finer steps: the error shrinks about 16× (8× leaves room for clipping and rounding).
        Assert.True(int8.Manifest.Quantization!.RelativeError < first.Manifest.Quantization.RelativeError / 8,
            $"int8 {int8.Manifest.Quantization.RelativeError:G3} vs int4 {first.Manifest.Quantization.RelativeError:G3}");
    }

    [Fact]
    public void Swappable_lora_on_an_int4_base_is_the_fp32_update_on_the_quantized_weights()
    {
        var lora = RandomAdapters.Lora(Stories, seed: 11, targets: ["q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"]);
        string root = SharedModels.NewTempFolder("quantized-lora");
        try
        {
            string folder = Path.Combine(root, "int4");
            AdapterExporter.Export(Stories, [new AdapterSource("lora", lora)], folder,
                new AdapterExportOptions { Mode = Core.Exported.AdapterExportMode.Swappable, Model = Quantized(4, accuracyLevel: 0) });
            using var model = OnnxDecoderModel.Load(folder, TestRuntime.Options);
            var dequantized = MatMulNBitsSpecReader.Dequantized(Stories, MatMulNBitsSpecReader.ReadModel(folder));
            var expected = WeightDeltaFolding.Fold(dequantized, new AdapterWeightDelta(lora, Stories.Config, Stories));

            var registry = AdapterRegistry.WithExportedAdapters(model.Exported);
            AssertMatchesReference(new OnnxAdapterModel(model, registry, "lora"), expected, TestRuntime.LogitTolerance);
            AssertMatchesReference(new OnnxAdapterModel(model, registry, null), dequantized, TestRuntime.LogitTolerance);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    /// <summary>
    /// How closely a LoRA's effect on a quantized base (int8 activations, the default) follows its
    /// effect on the fp32 base: ‖Δ_q − Δ_fp32‖ / ‖Δ_fp32‖ over the logits of a prompt and 8 decode
    /// steps, Δ = logits with the adapter − logits without, for a random LoRA r=4 on all seven
    /// projections that moves stories260K's logits by about 7 each. Measured 0.048 (int8) and 0.45
    /// (int4: 8 % weight error on a 64-wide model changes the activations the adapter sees); the
    /// update itself is exact on the quantized weights (the test above).
    /// </summary>
    public static double LoraEffectTolerance(int bits) => bits == 8 ? 0.1 : 0.6;

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void A_lora_changes_a_quantized_base_as_it_changes_the_fp32_base_within_the_documented_tolerance(int bits)
    {
        var lora = RandomAdapters.Lora(Stories, seed: 12, targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]);
        string root = SharedModels.NewTempFolder($"int{bits}-lora-effect");
        try
        {
            double EffectDifference(out List<int> baseTokens, out List<int> loraTokens, out double fp32Effect)
            {
                var effects = new Dictionary<string, List<float[]>>();
                baseTokens = loraTokens = [];
                var tokens = new Dictionary<string, List<int>>();
                foreach (var (name, options) in new[] { ("fp32", new LlamaExportOptions { IntraOpThreads = 2 }), ("quantized", Quantized(bits, QuantizationOptions.DefaultAccuracyLevel)) })
                {
                    string folder = Path.Combine(root, name);
                    AdapterExporter.Export(Stories, [new AdapterSource("lora", lora)], folder, new AdapterExportOptions { Mode = Core.Exported.AdapterExportMode.Swappable, Model = options });
                    using var model = OnnxDecoderModel.Load(folder, TestRuntime.Options);
                    var registry = AdapterRegistry.WithExportedAdapters(model.Exported);
                    var withAdapter = Logits(new OnnxAdapterModel(model, registry, "lora"));
                    var without = Logits(new OnnxAdapterModel(model, registry, null));
                    effects[name] = withAdapter.Zip(without, (x, y) => x.Zip(y, (p, q) => p - q).ToArray()).ToList();
                    tokens[name + "/base"] = TextGenerator.GenerateTokens(new OnnxAdapterModel(model, registry, null), Prompt, 24, SamplingOptions.Greedy).ToList();
                    tokens[name + "/lora"] = TextGenerator.GenerateTokens(new OnnxAdapterModel(model, registry, "lora"), Prompt, 24, SamplingOptions.Greedy).ToList();
                }
                baseTokens = tokens["quantized/base"];
                loraTokens = tokens["quantized/lora"];
                double diff = 0, norm = 0;
                foreach (var (f, q) in effects["fp32"].Zip(effects["quantized"]))
                    for (int i = 0; i < f.Length; i++) { diff += (f[i] - q[i]) * (double)(f[i] - q[i]); norm += (double)f[i] * f[i]; }
                fp32Effect = Math.Sqrt(norm);
                return Math.Sqrt(diff / norm);
            }

            double relative = EffectDifference(out var baseTokens, out var loraTokens, out double effect);
            Assert.True(effect > 1, $"the adapter barely changes the fp32 logits (‖Δ‖ = {effect:G3}): the comparison would prove nothing");
            Assert.True(relative <= LoraEffectTolerance(bits), $"‖Δ_int{bits} − Δ_fp32‖ / ‖Δ_fp32‖ = {relative:G3} > {LoraEffectTolerance(bits)}");
            Assert.NotEqual(baseTokens, loraTokens); // the adapter changes the quantized model's greedy text
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Fused_int4_quantizes_the_weights_plus_the_adapter_delta()
    {
        var lora = RandomAdapters.Lora(Stories, seed: 13, targets: ["q_proj", "down_proj"]);
        string root = SharedModels.NewTempFolder("quantized-fused");
        try
        {
            string folder = Path.Combine(root, "fused");
            var result = AdapterExporter.Export(Stories, [new AdapterSource("lora", lora)], folder,
                new AdapterExportOptions { Mode = Core.Exported.AdapterExportMode.Fused, Model = Quantized(4, accuracyLevel: 0) });
            var fused = WeightDeltaFolding.Fold(Stories, new AdapterWeightDelta(lora, Stories.Config, Stories));
            var stored = MatMulNBitsSpecReader.Dequantized(Stories, MatMulNBitsSpecReader.ReadModel(folder));
            foreach (string name in new[] { LlamaTensorNames.Wq(0), LlamaTensorNames.W2(4) })
            {
                double toFused = Distance(stored[name].Data, fused[name].Data), toBase = Distance(stored[name].Data, Stories[name].Data);
                Assert.True(toFused < 0.15 * Norm(fused[name].Data), $"{name}: ‖Ŵ − (W + ΔW)‖ = {toFused:G3}");
                Assert.True(toFused < toBase / 2, $"{name}: the stored weight is closer to W ({toBase:G3}) than to W + ΔW ({toFused:G3})");
            }
            Assert.InRange(result.Model.Quantization!.ProjectionErrors[LlamaTensorNames.Wq(0)], 1e-4, 0.15);
            using var model = OnnxDecoderModel.Load(folder, TestRuntime.Options);
            AssertMatchesReference(model, stored, TestRuntime.LogitTolerance);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Quantizing_a_compressed_checkpoint_is_refused_and_options_are_checked()
    {
        var factorized = new FactorizedProjection(0, "q_proj",
            new TensorData(FactorizedProjection.UName(0, "q_proj"), [64, 2], new float[128]),
            new TensorData(FactorizedProjection.VName(0, "q_proj"), [2, 64], new float[128]), null);
        var compressed = new LlamaWeights(Stories.Config, Stories.Tensors.Where(t => t.Name != LlamaTensorNames.Wq(0)), [factorized], "compressed.bin");
        var error = Assert.Throws<ArgumentException>(() => LlamaOnnxExporter.Export(compressed, Path.Combine(Path.GetTempPath(), "never-written"), Quantized(4, 4)));
        Assert.Contains("factorised", error.Message);

        Assert.Contains("8 or 4", Assert.Throws<ArgumentException>(() => new QuantizationOptions { Bits = 3 }.Validate()).Message);
        Assert.Contains("power of two", Assert.Throws<ArgumentException>(() => new QuantizationOptions { BlockSize = 24 }.Validate()).Message);
        Assert.Contains("at least 16", Assert.Throws<ArgumentException>(() => new QuantizationOptions { BlockSize = 8 }.Validate()).Message);
        Assert.Contains("accuracy level", Assert.Throws<ArgumentException>(() => new QuantizationOptions { AccuracyLevel = 5 }.Validate()).Message);
        Assert.Contains("classifier", Assert.Throws<ArgumentException>(() => new QuantizationOptions { ClassifierBits = 2 }.Validate()).Message);
    }

    static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - (double)y) * (x - y)).Sum());
    static double Norm(float[] a) => Math.Sqrt(a.Sum(x => (double)x * x));

    static List<float[]> Logits(IDecoderModel model)
    {
        using var session = model.StartSession();
        int vocab = model.Config.VocabSize;
        var all = session.Forward(Prompt);
        var rows = Enumerable.Range(0, Prompt.Length).Select(i => all.AsSpan(i * vocab, vocab).ToArray()).ToList();
        for (int step = 0; step < 8; step++) rows.Add(session.Forward([300 + step]));
        return rows;
    }

    /// <summary>Prefill and 12 decode steps of <paramref name="model"/> against the naive reference on <paramref name="weights"/>.</summary>
    static void AssertMatchesReference(IDecoderModel model, LlamaWeights weights, float tolerance)
    {
        int vocab = weights.Config.VocabSize;
        var reference = new ReferenceLlama(weights);
        using var session = model.StartSession();
        float[] prefill = session.Forward(Prompt);
        float[] expected = [];
        for (int i = 0; i < Prompt.Length; i++)
        {
            expected = reference.Step(Prompt[i]);
            float d = TestRuntime.MaxAbsDiff(expected, prefill.AsSpan(i * vocab, vocab));
            Assert.True(d <= tolerance, $"prefill token {i}: max |Δlogit| = {d:G3} > {tolerance:G3}");
        }
        for (int step = 0; step < 12; step++)
        {
            int next = Sampler.ArgMax(expected);
            float[] actual = session.Forward([next]);
            expected = reference.Step(next);
            float d = TestRuntime.MaxAbsDiff(expected, actual);
            Assert.True(d <= tolerance, $"decode step {step}: max |Δlogit| = {d:G3} > {tolerance:G3}");
        }
    }
}
