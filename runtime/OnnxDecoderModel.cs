using Adapters.Core.IO;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// An exported LLaMA decoder loaded into ONNX Runtime. Immutable after loading and safe to
/// share between threads; each decoding state (<see cref="OnnxDecoderSession"/>,
/// <see cref="OnnxBatchSession"/>) owns its KV cache. Sessions borrow this model: dispose them
/// before it.
/// </summary>
public sealed class OnnxDecoderModel : IDecoderModel
{
    readonly InferenceSession _session;
    bool _disposed;

    OnnxDecoderModel(ExportedModel exported, InferenceSession session, ExecutionProviderKind provider)
    {
        Exported = exported;
        _session = session;
        Provider = provider;
        var io = exported.Io;
        int layers = exported.Config.NumLayers;
        var names = new List<string> { io.InputIds, io.AttentionMask, io.PositionIds };
        var outputs = new List<string> { io.Logits };
        for (int l = 0; l < layers; l++)
        {
            names.Add(io.PastKey(l));
            names.Add(io.PastValue(l));
            outputs.Add(io.PresentKey(l));
            outputs.Add(io.PresentValue(l));
        }
        InputNames = names;
        OutputNames = outputs;
    }

    /// <summary>Loads a model folder with a session factory of its own.</summary>
    public static OnnxDecoderModel Load(string folder, OnnxRuntimeOptions? options = null) =>
        Load(ExportedModel.Open(folder), new OnnxSessionFactory(options));

    /// <summary>Loads a checked export with a shared factory (one provider decision per process).</summary>
    public static OnnxDecoderModel Load(ExportedModel exported, OnnxSessionFactory factory)
    {
        var session = factory.CreateSession(exported.ModelPath);
        try
        {
            CheckGraph(exported, session);
            var provider = factory.Provider ?? ExecutionProviderKind.Cpu;
            if (provider == ExecutionProviderKind.Cuda && exported.Manifest.Attention == ExportedAttention.GroupQuery)
                factory.Log($"onnxruntime: {exported.Folder} uses fp32 GroupQueryAttention, which ONNX Runtime's CUDA provider does not implement: " +
                    "those nodes run on the CPU; export with --fuse none for CUDA");
            return new OnnxDecoderModel(exported, session, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public ExportedModel Exported { get; }
    public LlamaConfig Config => Exported.Config;
    public ExecutionProviderKind Provider { get; }

    /// <summary>Input names in run order: input_ids, attention_mask, position_ids, then past key/value per layer.</summary>
    internal IReadOnlyList<string> InputNames { get; }

    /// <summary>Output names in run order: logits, then present key/value per layer.</summary>
    internal IReadOnlyList<string> OutputNames { get; }

    /// <summary>Cache sets and logits buffers that ended sessions leave for the next ones.</summary>
    internal SessionBufferPool Buffers { get; } = new();

    internal InferenceSession Session
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _session;
        }
    }

    /// <summary>A batch-1 decoding session (prefill, then one token per step).</summary>
    public OnnxDecoderSession StartSession()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new(this);
    }

    IDecoderSession IDecoderModel.StartSession() => StartSession();

    /// <summary>A decoding state for <paramref name="batchSize"/> sequences run together.</summary>
    public OnnxBatchSession StartBatch(int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return OnnxBatchSession.Create(this, batchSize);
    }

    /// <summary>
    /// True for an export whose attention is GroupQueryAttention: its KV cache is one buffer per
    /// layer written in place (<see cref="InPlaceCacheBatchSession"/>), not grown by Concat.
    /// </summary>
    public bool InPlaceKvCache => Exported.Manifest.Attention == ExportedAttention.GroupQuery;

    /// <summary>Ends ONNX Runtime's profiling of this model's session (<see cref="OnnxRuntimeOptions.ProfileFilePrefix"/>) and returns the trace file.</summary>
    public string EndProfiling() => Session.EndProfiling();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
        Buffers.Dispose();
    }

    /// <summary>The graph must have the inputs and outputs the manifest promises, with its vocabulary.</summary>
    static void CheckGraph(ExportedModel exported, InferenceSession session)
    {
        var io = exported.Io;
        var config = exported.Config;
        foreach (string name in new[] { io.InputIds, io.AttentionMask, io.PositionIds }
                     .Concat(Enumerable.Range(0, config.NumLayers).SelectMany(l => new[] { io.PastKey(l), io.PastValue(l) })))
            if (!session.InputMetadata.ContainsKey(name))
                throw new InvalidFileException(exported.ModelPath,
                    $"the graph has no input '{name}' (inputs: {string.Join(", ", session.InputMetadata.Keys)})");
        if (!session.OutputMetadata.TryGetValue(io.Logits, out var logits))
            throw new InvalidFileException(exported.ModelPath, $"the graph has no output '{io.Logits}'");
        int[] dims = logits.Dimensions;
        if (dims.Length != 3 || (dims[2] > 0 && dims[2] != config.VocabSize))
            throw new InvalidFileException(exported.ModelPath,
                $"output '{io.Logits}' has shape [{string.Join(", ", dims)}], expected [batch, seq, {config.VocabSize}] from the manifest");
    }
}
