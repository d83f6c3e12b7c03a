using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Training.Methods;
using Adapters.Training.Model;

namespace Adapters.Training.Engine;

/// <summary>
/// A <see cref="LlamaModel"/> with an attached adapter behind <see cref="IDecoderModel"/>, so
/// <see cref="TextGenerator"/> generates with it. Each session remembers its own prompt length
/// (its first Forward, the prefill) and declares it to the adapter before every forward, so
/// ReFT edits the prompt positions during the prefill and nothing during decode steps, even
/// when sessions interleave. Borrows model and method (unless built by <see cref="Load"/>,
/// which owns both); puts the method in evaluation mode.
/// </summary>
public sealed class AdapterDecoderModel : IDecoderModel
{
    readonly bool _owns;

    public AdapterDecoderModel(LlamaModel model, IAdapterMethod method) : this(model, method, owns: false) { }

    AdapterDecoderModel(LlamaModel model, IAdapterMethod method, bool owns)
    {
        if (!ReferenceEquals(method.AttachedModel, model)) throw new ArgumentException($"the {method.Name} adapter is not attached to this model");
        Model = model;
        Method = method;
        _owns = owns;
        method.Training = false;
    }

    /// <summary>
    /// Loads a base checkpoint and an adapter (our folder, a PEFT LoRA folder, or a training run
    /// folder) checked against that base, attached and owned by the returned model.
    /// </summary>
    public static AdapterDecoderModel Load(string checkpointPath, string adapterPath)
    {
        var weights = CheckpointLoader.Load(checkpointPath);
        var adapter = AdapterSourceReader.Read(adapterPath, weights.Config, ModelFingerprint.Of(weights));
        var model = LlamaModel.FromWeights(weights);
        try
        {
            var method = AdapterStore.Load(adapter, model);
            method.Attach(model);
            return new AdapterDecoderModel(model, method, owns: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public LlamaModel Model { get; }
    public IAdapterMethod Method { get; }
    public LlamaConfig Config => Model.Config;

    public IDecoderSession StartSession() => new TorchDecoderSession(Model, Method);

    public void Dispose()
    {
        if (!_owns) return;
        Method.Dispose();
        Model.Dispose();
    }
}
