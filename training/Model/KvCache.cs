using Adapters.Core.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// Per-request decoding state: one <see cref="LayerKvCache"/> per layer for a fixed batch size.
/// The caller passes the start position to each forward, so the cache holds no position itself.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly LayerKvCache[] _layers;

    public KvCache(LlamaConfig config, int batchSize = 1, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (batchSize <= 0) throw new ArgumentException($"batch size must be positive, got {batchSize}");
        BatchSize = batchSize;
        MaxSeqLen = config.MaxSeqLen;
        _layers = Enumerable.Range(0, config.NumLayers)
            .Select(_ => new LayerKvCache(batchSize, config.NumKvHeads, config.MaxSeqLen, config.HeadSize, dtype, device))
            .ToArray();
    }

    public int BatchSize { get; }
    public int MaxSeqLen { get; }
    public int NumLayers => _layers.Length;

    public LayerKvCache this[int layer] => _layers[layer];

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
    }
}
