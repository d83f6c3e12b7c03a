using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;

namespace Adapters.Bench.Serving;

/// <summary>
/// What the serving benchmarks run on: a base model exported batched (every projection given LoRA
/// inputs, so any LoRA fits), and an adapter store of N random LoRA adapters, one folder per name
/// (&lt;store&gt;/&lt;name&gt;/&lt;name&gt;.adapter.json + .onnx_adapter) — the layout `adapters serve
/// --adapters` loads lazily by name. Random values: loading and routing costs depend on shapes only.
/// </summary>
public sealed class AdapterStoreWorkspace
{
    /// <summary>LoRA rank of every store adapter and the export's slot rank.</summary>
    public const int Rank = 4;

    public required string ModelFolder { get; init; }
    public required string StoreFolder { get; init; }
    public required string TokenFile { get; init; }
    public required string BaseModelName { get; init; }
    public required IReadOnlyList<string> Adapters { get; init; }

    /// <summary>Adapter i's name: a0000, a0001, … (Zipf rank order in the benchmarks).</summary>
    public static string NameOf(int i) => $"a{i:D4}";

    public static AdapterStoreWorkspace Create(string folder, string checkpoint, string tokenizer, int adapters, int slots, int threads)
    {
        if (adapters < 1) throw new ArgumentException($"--adapters must be >= 1, got {adapters}");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var weights = Llama2cCheckpoint.Read(checkpoint);
        string model = Path.Combine(folder, "model"), store = Path.Combine(folder, "store");
        AdapterExporter.Export(weights, Array.Empty<AdapterSource>(), model, new AdapterExportOptions
        {
            Mode = AdapterExportMode.Batched,
            Slots = slots,
            MaxRank = Rank,
            ExtraLoraTargets = LlamaTensorNames.Projections.ToList(),
            Model = new LlamaExportOptions { TokenizerPath = tokenizer, IntraOpThreads = threads },
        });
        var fingerprint = ModelFingerprint.Of(weights);
        var names = Enumerable.Range(0, adapters).Select(NameOf).ToList();
        for (int i = 0; i < adapters; i++)
            AdapterExporter.WriteAdapter(weights.Config, fingerprint, new AdapterSource(names[i], BenchAdapters.Lora(weights, Rank, seed: 1000 + i)),
                Path.Combine(store, names[i]));
        string token = Path.Combine(folder, "admin.token");
        File.WriteAllText(token, Guid.NewGuid().ToString("N") + "\n");
        return new AdapterStoreWorkspace
        {
            ModelFolder = model,
            StoreFolder = store,
            TokenFile = token,
            BaseModelName = Path.GetFileName(model),
            Adapters = names,
        };
    }

    /// <summary>Arguments of `adapters serve` for one replica over this workspace (the caller adds --port).</summary>
    public IReadOnlyList<string> ServeArguments(int maxBatch, int maxLoadedAdapters, int threads) =>
    [
        "--model", ModelFolder, "--adapters", StoreFolder, "--admin-token-file", TokenFile,
        "--max-batch", maxBatch.ToString(), "--max-loaded-adapters", maxLoadedAdapters.ToString(), "--threads", threads.ToString(),
    ];
}
