using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Engine;

/// <summary>
/// One batch-1 sequence on a <see cref="LlamaModel"/>, optionally through an attached adapter
/// method; owns its KV cache, borrows model and method. With a method, the first Forward is the
/// prefill and fixes the prompt length, which is declared to the method before every forward,
/// so ReFT edits prompt positions only (positions ≥ prompt length are never edited).
/// </summary>
public sealed class TorchDecoderSession : IDecoderSession
{
    readonly LlamaModel _model;
    readonly IAdapterMethod? _method;
    readonly KvCache _cache;
    int _promptLength = -1;

    public TorchDecoderSession(LlamaModel model, IAdapterMethod? method = null)
    {
        _model = model;
        _method = method;
        _cache = model.CreateCache(batchSize: 1);
    }

    public LlamaConfig Config => _model.Config;
    public int Position { get; private set; }

    public float[] Forward(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to feed");
        if (Position + tokens.Length > Config.MaxSeqLen)
            throw new ArgumentException($"{tokens.Length} more tokens at position {Position} exceed the context of {Config.MaxSeqLen}");
        int vocab = Config.VocabSize;
        foreach (int token in tokens)
            if ((uint)token >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {token} is outside the vocabulary 0..{vocab - 1}");
        if (_promptLength < 0) _promptLength = tokens.Length;

        var ids = new long[tokens.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = tokens[i];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _method?.SetPromptLengths([_promptLength]);
        var input = tensor(ids, [1, ids.Length], device: _model.Device);
        var logits = _model.Forward(input, Position, _cache);            // [1, tokens, vocab]
        var host = logits.to(ScalarType.Float32, CPU).contiguous();
        Position += tokens.Length;
        return host.data<float>().ToArray();
    }

    public void Dispose() => _cache.Dispose();
}
