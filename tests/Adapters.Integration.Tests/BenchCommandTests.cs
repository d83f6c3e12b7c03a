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
        Assert.Contains("| target | value | limit | met |", result.Stdout);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        foreach (string key in new[] { "machine", "settings", "variants", "hot_swap", "headline", "targets", "wall_seconds" })
            Assert.True(root.TryGetProperty(key, out _), $"bench.json has no '{key}'");
        foreach (string key in new[] { "logical_cores", "os", "onnxruntime_version", "provider", "intra_op_threads" })
            Assert.True(root.GetProperty("machine").TryGetProperty(key, out _), $"machine has no '{key}'");
        Assert.Equal("260K", root.GetProperty("settings").GetProperty("shape").GetString());

        var variants = root.GetProperty("variants").EnumerateArray().ToList();
        var names = variants.Select(v => v.GetProperty("name").GetString()).ToHashSet();
        foreach (string name in new[] { "base", "fused LoRA r=8", "swappable LoRA r=8", "LoReFT r=4", "DiReFT r=4", "batched LoRA r=8, 8 adapters", "GenAI base", "GenAI LoRA r=8" })
            Assert.Contains(name, names);
        Assert.Equal([1, 8], variants.Select(v => v.GetProperty("batch").GetInt32()).Distinct().Order());
        foreach (var v in variants)
        {
            Assert.True(v.GetProperty("tokens_per_second").GetDouble() > 0);
            Assert.True(v.GetProperty("decode_step").GetProperty("p99_ms").GetDouble() > 0);
        }
        foreach (string key in new[] { "swappable_lora_r8_decode_overhead", "loreft_decode_overhead", "mixed_vs_single_adapter_throughput", "hot_swap_p99_ms", "ours_vs_genai_base_tokens_per_second" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty("headline").GetProperty(key).ValueKind);
        Assert.True(root.GetProperty("hot_swap").GetProperty("replace").GetProperty("count").GetInt32() > 0);
        foreach (string file in new[] { "bench.md", "latency_vs_batch.png", "overhead_vs_rank.png", "throughput_vs_adapters.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, $"{file} missing or empty");
    }
}
