using Adapters.Core.Generation;
using BenchmarkDotNet.Attributes;

namespace Adapters.MicroBench;

/// <summary>Picking the next token from one row of logits (LLaMA-2 vocabulary): greedy, softmax, nucleus.</summary>
[MemoryDiagnoser]
public class SamplingBenchmarks
{
    /// <summary>LLaMA-2 / TinyStories 15M+ vocabulary size.</summary>
    const int Vocab = 32000;

    float[] _logits = [];
    Sampler _softmax = null!, _nucleus = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        _logits = Enumerable.Range(0, Vocab).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
        _softmax = new Sampler(new SamplingOptions { Temperature = 0.8f, Seed = 1 });
        _nucleus = new Sampler(new SamplingOptions { Temperature = 0.8f, TopP = 0.9f, Seed = 1 });
    }

    [Benchmark(Baseline = true)] public int Greedy() => Sampler.ArgMax(_logits);
    [Benchmark] public int Softmax() => _softmax.Sample(_logits);
    [Benchmark] public int TopP() => _nucleus.Sample(_logits);
}
