using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.Onnx;

/// <summary>
/// What a graph extension sees while the decoder is being built: the builder, the model shape,
/// the reusable LLaMA blocks and the names of the standard graph inputs.
/// </summary>
public sealed class LlamaGraphContext
{
    /// <summary>Symbolic dimension names of the standard inputs, for extensions' own inputs.</summary>
    public const string BatchDim = "batch_size";
    public const string SequenceDim = "sequence_length";
    public const string TotalSequenceDim = "total_sequence_length";
    public const string PastSequenceDim = "past_sequence_length";

    internal LlamaGraphContext(OnnxGraphBuilder graph, LlamaConfig config, LlamaBlocks blocks)
    {
        Graph = graph;
        Config = config;
        Blocks = blocks;
    }

    public OnnxGraphBuilder Graph { get; }
    public LlamaConfig Config { get; }
    public LlamaBlocks Blocks { get; }

    /// <summary>[batch, seq] int64 token ids.</summary>
    public string InputIds => DecoderIoNames.InputIds;

    /// <summary>[batch, total_seq] int64, 1 where a cached or new token may be attended.</summary>
    public string AttentionMask => DecoderIoNames.AttentionMask;

    /// <summary>[batch, seq] int64 absolute positions of the new tokens.</summary>
    public string PositionIds => DecoderIoNames.PositionIds;
}
