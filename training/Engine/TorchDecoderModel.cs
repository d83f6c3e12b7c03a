using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Training.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Engine;

/// <summary>
/// The TorchSharp engine behind <see cref="IDecoderModel"/>: a <see cref="LlamaModel"/> that does
/// not change while sessions run, each session owning its KV cache.
/// </summary>
public sealed class TorchDecoderModel : IDecoderModel
{
    readonly bool _ownsModel;

    /// <summary>Borrows <paramref name="model"/> unless <paramref name="ownsModel"/>; it must outlive every session.</summary>
    public TorchDecoderModel(LlamaModel model, bool ownsModel = false)
    {
        Model = model;
        _ownsModel = ownsModel;
    }

    /// <summary>Builds (and owns) a model from weights in <paramref name="dtype"/> (float32 by default).</summary>
    public static TorchDecoderModel FromWeights(LlamaWeights weights, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        new(LlamaModel.FromWeights(weights, dtype, device), ownsModel: true);

    /// <summary>Loads a llama2.c .bin file or a Hugging Face folder.</summary>
    public static TorchDecoderModel Load(string checkpointPath, ScalarType dtype = ScalarType.Float32) =>
        FromWeights(CheckpointLoader.Load(checkpointPath), dtype);

    public LlamaModel Model { get; }
    public LlamaConfig Config => Model.Config;

    /// <summary>A new batch-1 session with its own cache; the caller disposes it before this model.</summary>
    public IDecoderSession StartSession() => new TorchDecoderSession(Model);

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
