using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Host;
using Adapters.TestSupport;

namespace Adapters.Hardening;

/// <summary>
/// `load-timing`: how long a normal /v1/load_lora_adapter takes through a real server on
/// stories260K (batched export): an exported adapter and a training folder (converted on load),
/// --loads times each (default 200), p50 and p90, beside the p50 of GET /health in the same run as
/// the control (HTTP round trip alone). Then --cycles load+unload cycles (default 500) with the
/// server's resident memory before and after. Uses only the server's public surface, so the same
/// file builds against an older commit for a before/after comparison.
/// </summary>
static class LoadTiming
{
    const string Token = "load-timing-token";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Options(args);
        int loads = options.Int("--loads", 200), cycles = options.Int("--cycles", 500);
        string root = SharedModels.NewTempFolder("load-timing");
        try
        {
            var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
            var fingerprint = ModelFingerprint.Of(weights);
            string model = Path.Combine(root, "model"), adapters = Path.Combine(root, "adapters");
            AdapterExporter.Export(weights, [new AdapterSource("base-lora", RandomAdapters.Lora(weights, seed: 1))], model, new AdapterExportOptions
            {
                Mode = AdapterExportMode.Batched, Slots = 4, MaxRank = 8,
                ExtraLoraTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                Model = new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = 2 },
            });
            var lora = RandomAdapters.Lora(weights, seed: 2, rank: 8);
            AdapterExporter.WriteAdapter(weights.Config, fingerprint, new AdapterSource("exported", lora), Path.Combine(adapters, "exported"));
            AdapterFolder.Write(Path.Combine(adapters, "training"), lora.Manifest, lora.Tensors.Values);
            string token = Path.Combine(root, "token");
            await File.WriteAllTextAsync(token, Token + "\n");

            await using var server = await HostServer.StartAsync(new HostServerOptions
            {
                ModelFolder = model, AdapterRoots = [adapters], AdminTokenFile = token, IntraOpThreads = 2, MaxLoadedAdapters = 8,
            });
            using var client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };

            // Warm-up, then interleaved so that machine load drifts hit all three alike.
            for (int i = 0; i < 10; i++) { await Load(client, "x", "exported"); await Load(client, "x", "training"); await Health(client); }
            List<double> exported = [], training = [], health = [];
            for (int i = 0; i < loads; i++)
            {
                exported.Add(await Load(client, "timed", "exported"));
                training.Add(await Load(client, "timed", "training"));
                health.Add(await Health(client));
            }
            double control = Percentile(health, 50);
            Console.WriteLine($"loads: {loads} of each, interleaved (stories260K batched, LoRA r=8 on q_proj,v_proj,down_proj)");
            Console.WriteLine($"exported adapter: p50 {Percentile(exported, 50):F2} ms, p90 {Percentile(exported, 90):F2} ms, p50/control {Percentile(exported, 50) / control:F1}");
            Console.WriteLine($"training folder:  p50 {Percentile(training, 50):F2} ms, p90 {Percentile(training, 90):F2} ms, p50/control {Percentile(training, 50) / control:F1}");
            Console.WriteLine($"control GET /health: p50 {control:F3} ms");

            long before = Rss();
            for (int i = 0; i < cycles; i++)
            {
                await Load(client, $"cycle-{i % 16}", i % 2 == 0 ? "exported" : "training");
                await Post(client, "/v1/unload_lora_adapter", $"{{\"lora_name\": \"cycle-{i % 16}\"}}");
            }
            GC.Collect();
            Console.WriteLine($"{cycles} load+unload cycles: RSS {before:N0} MiB before, {Rss():N0} MiB after");
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { }
        }
    }

    static Task<double> Load(HttpClient client, string name, string path) =>
        Post(client, "/v1/load_lora_adapter", $"{{\"lora_name\": \"{name}\", \"lora_path\": \"{path}\"}}");

    static async Task<double> Post(HttpClient client, string endpoint, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var clock = Stopwatch.StartNew();
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        double ms = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{endpoint}: {(int)response.StatusCode} {text}");
        return ms;
    }

    static async Task<double> Health(HttpClient client)
    {
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("/health");
        await response.Content.ReadAsStringAsync();
        return clock.Elapsed.TotalMilliseconds;
    }

    static double Percentile(List<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
    }

    static long Rss()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64 >> 20;
    }
}
