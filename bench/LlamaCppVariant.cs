using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Adapters.Bench;

/// <summary>
/// The llama.cpp peer (LLamaSharp): one GGUF model (F32, Q8_0 or Q4_0), optionally with a GGUF
/// LoRA applied at scale 1, timed batch-1 greedy like our variants: prefill the prompt, then
/// one llama_decode + argmax per step. llama.cpp's defaults otherwise (f16 KV cache, its
/// attention choice): what a llama.cpp user gets. Owns its context and adapter; shares the
/// loaded model (<see cref="LlamaCppModel"/>) with the other variant of the same file.
/// </summary>
public sealed class LlamaCppVariant : IBenchVariant
{
    readonly LlamaCppModel _model;
    readonly LLamaContext _context;
    readonly LLamaBatch _batch = new();

    public LlamaCppVariant(string name, string kind, LlamaCppModel model, string? loraFile = null, int loraRank = 0)
    {
        Name = name;
        Kind = kind;
        LoraRank = loraRank;
        _model = model.Acquire();
        _context = model.Weights.CreateContext(model.Parameters);
        if (loraFile is not null)
        {
            var adapter = model.Weights.NativeHandle.LoadLoraFromFile(loraFile);
            _context.NativeHandle.SetLoraAdapters(new[] { (adapter, 1f) });
        }
    }

    public string Name { get; }
    public string Engine => BenchEngines.LlamaCpp;
    public string Kind { get; }
    public int LoraRank { get; }
    public int DistinctAdapters => 0;

    /// <summary>Batch 1 only: the peer for single-stream decoding.</summary>
    public bool Supports(int batchSize) => batchSize == 1;

    public GenerationTiming Run(int batchSize, IReadOnlyList<int> prompt, int steps)
    {
        if (batchSize != 1) throw new ArgumentException($"the llama.cpp variant runs batch 1 only, not {batchSize}");
        var handle = _context.NativeHandle;
        handle.MemoryClear(true);
        var stepMs = new List<double>(steps);

        long start = Stopwatch.GetTimestamp();
        _batch.Clear();
        for (int i = 0; i < prompt.Count; i++) _batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        int next = Decode(handle, _batch.TokenCount - 1);
        double ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        for (int s = 0; s < steps; s++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            _batch.Clear();
            _batch.Add(next, prompt.Count + s, LLamaSeqId.Zero, true);
            next = Decode(handle, 0);
            stepMs.Add(Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds);
        }
        return new GenerationTiming(ttft, stepMs);
    }

    /// <summary>Runs the batch and returns the argmax of row <paramref name="logitsRow"/>'s logits (first maximum, as our Sampler).</summary>
    int Decode(SafeLLamaContextHandle handle, int logitsRow)
    {
        var result = handle.Decode(_batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp: llama_decode returned {result}");
        var logits = handle.GetLogitsIth(logitsRow);
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        _context.Dispose();
        _model.Release();
    }
}
