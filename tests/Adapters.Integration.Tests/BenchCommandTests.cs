using Adapters.Bench;
using System.Text.Json;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters bench --quick` runs end to end and writes a well-formed report. Timings are never
/// asserted: they depend on the machine and on whatever else runs beside the tests.
/// </summary>
public sealed class BenchCommandTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Quick_bench_writes_json_with_every_section_markdown_and_plots()
    {
        string outDir = Path.Combine(_dir, "bench");
        var result = CliRunner.Run("bench", "--quick", "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("| target | value | limit | met | resolution (control) |", result.Stdout);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        foreach (string key in new[] { "machine", "settings", "variants", "hot_swap", "headline", "targets", "wall_seconds" })
            Assert.True(root.TryGetProperty(key, out _), $"bench.json has no '{key}'");
        foreach (string key in new[] { "logical_cores", "os", "onnxruntime_version", "provider", "intra_op_threads" })
            Assert.True(root.GetProperty("machine").TryGetProperty(key, out _), $"machine has no '{key}'");
        Assert.Equal("260K", root.GetProperty("settings").GetProperty("shape").GetString());
        Assert.Equal(BenchOptions.QuickSteps, root.GetProperty("settings").GetProperty("steps").GetInt32());
        Assert.Equal(BenchOptions.QuickRounds, root.GetProperty("settings").GetProperty("rounds").GetInt32());
        // No --order-seed: the run drew one and recorded it, so its order can be repeated.
        Assert.Equal(JsonValueKind.Number, root.GetProperty("settings").GetProperty("order_seed").ValueKind);

        var variants = root.GetProperty("variants").EnumerateArray().ToList();
        var names = variants.Select(v => v.GetProperty("name").GetString()).ToHashSet();
        foreach (string name in new[] { "base", "fused LoRA r=8", "swappable LoRA r=8", "LoReFT r=4", "DiReFT r=4", "batched LoRA r=8, 8 adapters", "base again (control)", "GenAI base", "GenAI LoRA r=8", "llama.cpp F32", "llama.cpp F32 + LoRA r=8", "int8", "int4", "int4 swappable LoRA r=8" })
            Assert.Contains(name, names);
        // 260K's hidden_dim 172 cannot be packed in llama.cpp's 32-value blocks: the quantized peers are skipped, and the report says why.
        Assert.Contains("172", root.GetProperty("settings").GetProperty("llamacpp_quantized_skipped").GetString());
        Assert.Equal([1, 8], variants.Select(v => v.GetProperty("batch").GetInt32()).Distinct().Order());
        foreach (var v in variants)
        {
            Assert.True(v.GetProperty("tokens_per_second").GetDouble() > 0);
            Assert.True(v.GetProperty("decode_step").GetProperty("p99_ms").GetDouble() > 0);
        }
        foreach (string key in new[] { "swappable_lora_r8_decode_overhead", "loreft_decode_overhead", "mixed_vs_single_adapter_throughput", "hot_swap_p99_ms", "ours_vs_genai_base_tokens_per_second", "control_decode_ratio", "llamacpp_f32_vs_ours_base_decode_ms", "llamacpp_lora_r8_f32_decode_overhead",
                     "int8_vs_fp32_decode", "int4_vs_fp32_decode", "int4_swappable_lora_r8_decode_overhead", "ours_fp32_vs_llamacpp_f32_tokens_per_second" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty("headline").GetProperty(key).ValueKind);
        Assert.Contains("resolution: a second session of the base decodes at", result.Stdout);
        // Ours against GenAI is a ratio of two decode timings like the others: the run's resolution stands beside it.
        string controlText = root.GetProperty("headline").GetProperty("control_decode_ratio").GetDouble().ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        var genaiRow = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("| ours_vs_genai_base_tokens_per_second |", StringComparison.Ordinal));
        Assert.EndsWith($"| {controlText} |", genaiRow);
        // A tail ratio's resolution is the control session's own tail ratio, not its decode ratio.
        var headline = root.GetProperty("headline");
        string controlTail = headline.GetProperty("control_decode_p90_over_p50").GetDouble().ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        var tailRow = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("| ours_base_decode_p90_over_p50 |", StringComparison.Ordinal));
        Assert.EndsWith($"| {controlTail} |", tailRow);
        var tailTarget = root.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ours_base_decode_p90_over_p50");
        Assert.Equal(headline.GetProperty("control_decode_p90_over_p50").GetDouble(), tailTarget.GetProperty("resolution").GetDouble());
        foreach (string prefix in new[] { "ours_base", "control", "genai_base" })
            Assert.True(headline.GetProperty($"{prefix}_decode_p90_over_p50_within_rounds").GetDouble() >= 1, $"{prefix}: a p90 is never below its p50");
        Assert.Contains("batch-1 decode tails, p90/p50 / p99/p50 over all steps", result.Stdout);
        Assert.True(root.GetProperty("hot_swap").GetProperty("replace").GetProperty("count").GetInt32() > 0);
        foreach (string file in new[] { "bench.md", "latency_vs_batch.png", "overhead_vs_rank.png", "throughput_vs_adapters.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, $"{file} missing or empty");
    }

    [Fact]
    public void Quick_bench_honours_an_explicit_shape_steps_rounds_and_swaps_and_prints_the_resolution_beside_each_decode_target()
    {
        string outDir = Path.Combine(_dir, "bench-custom");
        string shape = Path.Combine(SharedModels.RepoRoot, "models", "configs", "custom-example.json");
        var result = CliRunner.Run("bench", "--quick", "--shape", shape, "--steps", "4", "--rounds", "2", "--swaps", "3", "--no-genai", "--threads", "2", "--order-seed", "5", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var settings = json.RootElement.GetProperty("settings");
        Assert.Equal(5, settings.GetProperty("order_seed").GetInt32()); // --order-seed repeats a run's order
        Assert.Contains("bench: variant order seed 5 ", result.Stderr);
        Assert.Equal(128, settings.GetProperty("dim").GetInt32()); // custom-example.json, not the quick default 260K (dim 64)
        Assert.Equal(4, settings.GetProperty("layers").GetInt32());
        // What was given explicitly stands; the rest of --quick still applies.
        Assert.Equal(4, settings.GetProperty("steps").GetInt32());
        Assert.Equal(2, settings.GetProperty("rounds").GetInt32());
        Assert.Equal(3, settings.GetProperty("swaps").GetInt32());
        Assert.Equal(BenchOptions.QuickPromptTokens, settings.GetProperty("prompt_tokens").GetInt32());
        var baseRun = json.RootElement.GetProperty("variants").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "base" && v.GetProperty("batch").GetInt32() == 1);
        Assert.Equal(2, baseRun.GetProperty("generations").GetInt32());
        Assert.Equal(4 * 2, baseRun.GetProperty("decode_step").GetProperty("count").GetInt32());
        double control = json.RootElement.GetProperty("headline").GetProperty("control_decode_ratio").GetDouble();
        string controlText = control.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        var row = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("| loreft_decode_overhead |", StringComparison.Ordinal));
        Assert.EndsWith($"| {controlText} |", row);
    }

    [Fact]
    public void Precision_only_bench_times_fp32_int8_int4_and_llamacpp_at_batch_1_and_names_the_quantization()
    {
        string outDir = Path.Combine(_dir, "bench-precision");
        var result = CliRunner.Run("bench", "--quick", "--precision-only", "--block-size", "64", "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        var names = root.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.Equal(["base", "base again (control)", "swappable LoRA r=8", "int8", "int4", "int4 swappable LoRA r=8", "llama.cpp F32", "llama.cpp F32 + LoRA r=8"], names);
        Assert.All(root.GetProperty("variants").EnumerateArray(), v => Assert.Equal(1, v.GetProperty("batch").GetInt32()));
        Assert.All(root.GetProperty("variants").EnumerateArray(), v => Assert.Equal(root.GetProperty("settings").GetProperty("rounds").GetInt32(), v.GetProperty("round_decode_p50_ms").GetArrayLength()));
        var settings = root.GetProperty("settings");
        Assert.True(settings.GetProperty("precision_only").GetBoolean());
        Assert.Equal(64, settings.GetProperty("quantization_block_size").GetInt32());
        Assert.Equal(8, settings.GetProperty("quantization_classifier_bits").GetInt32());
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "models", "base-int4", "model_manifest.json")));
        Assert.Equal(64, manifest.RootElement.GetProperty("quantization").GetProperty("block_size").GetInt32());
        foreach (string key in new[] { "int8_vs_fp32_decode", "int4_vs_fp32_decode", "int4_swappable_lora_r8_decode_overhead", "ours_fp32_vs_llamacpp_f32_tokens_per_second" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty("headline").GetProperty(key).ValueKind);
        Assert.Contains("precision (batch 1, decode ms/token p50, ratios paired by round): ours int8", result.Stdout);
        var row = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("| ours_fp32_vs_llamacpp_f32_tokens_per_second |", StringComparison.Ordinal));
        Assert.DoesNotContain("| – |", row); // the control ratio is printed beside it
    }

    [Fact]
    public void Quantization_options_with_no_quantized_are_refused()
    {
        var result = CliRunner.Run("bench", "--quick", "--no-quantized", "--block-size", "64", "--out", Path.Combine(_dir, "bench-refused"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--block-size sets the quantized variants, which --no-quantized leaves out", result.Stderr);
    }

    [Fact]
    public void Quick_bench_of_an_exported_family_folder_times_it_as_it_is()
    {
        // A Qwen3-shaped export (q/k norm, head_dim 16 ≠ dim 48 / 4 heads) with one swappable LoRA.
        var weights = TinyFamilies.Weights(TinyFamilies.Qwen3);
        string folder = Path.Combine(_dir, "qwen3-onnx");
        Adapters.Export.AdapterExport.AdapterExporter.Export(weights, [new Adapters.Export.AdapterExport.AdapterSource("lora-a", RandomAdapters.Lora(weights, seed: 2, rank: 4))], folder,
            new Adapters.Export.AdapterExport.AdapterExportOptions { Mode = Core.Exported.AdapterExportMode.Swappable, Model = new Adapters.Export.LlamaExportOptions { IntraOpThreads = 2 } });
        string outDir = Path.Combine(_dir, "bench-exported");

        var result = CliRunner.Run("bench", "--model", folder, "--quick", "--batch-sizes", "1", "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(outDir, "models")), "an exported folder is timed as it is, not re-exported");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        var settings = root.GetProperty("settings");
        Assert.Equal("exported", settings.GetProperty("shape").GetString());
        Assert.Equal("qwen3", settings.GetProperty("family").GetString());
        Assert.Equal(16, settings.GetProperty("head_dim").GetInt32());
        Assert.Equal(weights.Config.ParameterCount(), settings.GetProperty("parameters").GetInt64());
        Assert.Contains("no checkpoint weights", settings.GetProperty("llamacpp_skipped").GetString());
        var names = root.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "base", "base again (control)", "swappable LoRA r=4", "GenAI base" }, names);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("headline").GetProperty("control_decode_ratio").ValueKind);
        Assert.Equal("lora-a", root.GetProperty("hot_swap").GetProperty("adapter").GetString());
        Assert.Contains("llama.cpp not run:", result.Stdout);
    }

    [Fact]
    public void Compare_with_times_a_second_export_of_the_same_model_beside_the_folder_ours_and_genais()
    {
        var weights = TinyFamilies.Weights(TinyFamilies.Llama3);
        string folder = Path.Combine(_dir, "llama3-default"), other = Path.Combine(_dir, "llama3-standard");
        Adapters.Export.LlamaOnnxExporter.Export(weights, folder, new Adapters.Export.LlamaExportOptions { IntraOpThreads = 2 });
        Adapters.Export.LlamaOnnxExporter.Export(weights, other, new Adapters.Export.LlamaExportOptions { IntraOpThreads = 2, Fusions = Adapters.Export.Onnx.DecoderFusions.None });
        string outDir = Path.Combine(_dir, "bench-compared");

        var result = CliRunner.Run("bench", "--model", folder, "--compare-with", other, "--quick", "--batch-sizes", "1", "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        Assert.Equal(Path.GetFullPath(other), Path.GetFullPath(root.GetProperty("settings").GetProperty("compare_with").GetString()!));
        var variants = root.GetProperty("variants").EnumerateArray().ToList();
        var compared = variants.Single(v => v.GetProperty("name").GetString() == "compared export");
        var genaiCompared = variants.Single(v => v.GetProperty("name").GetString() == "GenAI compared export");
        // Each engine's compared export is paired with that engine's run of the first folder.
        var headline = root.GetProperty("headline");
        Assert.Equal(compared.GetProperty("decode_overhead_paired").GetDouble(), headline.GetProperty("compared_export_decode_ratio").GetDouble());
        Assert.Equal(genaiCompared.GetProperty("decode_overhead_paired").GetDouble(), headline.GetProperty("genai_compared_export_decode_ratio").GetDouble());
        Assert.Contains("compared export ", result.Stdout);
    }

    [Fact]
    public void Compare_with_is_refused_without_an_exported_folder_and_for_another_model()
    {
        var weights = TinyFamilies.Weights(TinyFamilies.Llama3);
        string folder = Path.Combine(_dir, "llama3-a");
        Adapters.Export.LlamaOnnxExporter.Export(weights, folder, new Adapters.Export.LlamaExportOptions { IntraOpThreads = 2 });
        string otherModel = Path.Combine(_dir, "mistral-a");
        Adapters.Export.LlamaOnnxExporter.Export(TinyFamilies.Weights(TinyFamilies.Mistral), otherModel, new Adapters.Export.LlamaExportOptions { IntraOpThreads = 2 });

        var withShape = CliRunner.Run("bench", "--quick", "--compare-with", folder, "--out", Path.Combine(_dir, "refused-1"));
        var line = Assert.Single(withShape.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --compare-with", line);
        Assert.Contains("pass that folder as --model", line);

        var another = CliRunner.Run("bench", "--model", folder, "--compare-with", otherModel, "--quick", "--out", Path.Combine(_dir, "refused-2"));
        Assert.NotEqual(0, another.ExitCode);
        Assert.Contains($"error: --compare-with {otherModel} is not an export of the same model", another.Stderr);
    }

    [Fact]
    public void Bench_of_an_exported_folder_refuses_compressed_naming_why()
    {
        var weights = TinyFamilies.Weights(TinyFamilies.Qwen2);
        string folder = Path.Combine(_dir, "qwen2-onnx");
        Adapters.Export.LlamaOnnxExporter.Export(weights, folder, new Adapters.Export.LlamaExportOptions { IntraOpThreads = 2 });

        var result = CliRunner.Run("bench", "--model", folder, "--compressed", folder, "--quick", "--out", Path.Combine(_dir, "refused"));

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains("--compressed", line);
        Assert.Contains("exported ONNX folder", line);
    }

    /// <summary>`adapters compress` of random 260K weights (what --quick benches) at half the break-even rank.</summary>
    string Compress(int seed)
    {
        string folder = Path.Combine(_dir, $"compressed-seed{seed}");
        string data = Path.Combine(SharedModels.RepoRoot, "tests", "data");
        var result = CliRunner.Run("compress", "--shape", BenchOptionsQuickShape, "--seed", seed.ToString(), "--rank-fraction", "0.5",
            "--tokenizer", SharedModels.Tok512, "--calibration", Path.Combine(data, "stories_calibration.txt"), "--held-out", Path.Combine(data, "stories_heldout.txt"),
            "--threads", "2", "--out", folder);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return folder;
    }

    const string BenchOptionsQuickShape = Adapters.Bench.BenchOptions.QuickShape;

    [Fact]
    public void Quick_bench_with_a_compressed_checkpoint_reports_it_against_the_dense_base()
    {
        string compressed = Compress(seed: 0);
        string outDir = Path.Combine(_dir, "bench-compressed");
        var result = CliRunner.Run("bench", "--quick", "--no-genai", "--threads", "2", "--compressed", compressed, "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        Assert.Equal(compressed, root.GetProperty("settings").GetProperty("compressed").GetString());
        var rows = root.GetProperty("variants").EnumerateArray().Where(v => v.GetProperty("name").GetString() == Adapters.Bench.BenchRunner.CompressedVariant).ToList();
        Assert.Equal([1, 8], rows.Select(v => v.GetProperty("batch").GetInt32()).Order());
        Assert.All(rows, v => Assert.Equal(JsonValueKind.Number, v.GetProperty("decode_overhead").ValueKind));
        var headline = root.GetProperty("headline");
        foreach (string key in new[] { "compressed_decode_ratio", "compressed_prefill_ratio" })
            Assert.Equal(JsonValueKind.Number, headline.GetProperty(key).ValueKind);
        // Half the break-even rank stores about half the projections' parameters; the embedding is unchanged.
        double projections = headline.GetProperty("compressed_projection_parameter_ratio").GetDouble();
        Assert.InRange(projections, 0.3, 0.55);
        Assert.InRange(headline.GetProperty("compressed_parameter_ratio").GetDouble(), projections, 1.0);
    }

    [Fact]
    public void Bench_refuses_a_compressed_checkpoint_of_another_base_naming_its_source()
    {
        string compressed = Compress(seed: 1);
        var result = CliRunner.Run("bench", "--quick", "--no-genai", "--threads", "2", "--compressed", compressed, "--out", Path.Combine(_dir, "bench-other"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("was not compressed from this run's base", result.Stderr);
        Assert.Contains("--shape 260K --seed 1", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "bench-other", "models")));
    }
}
