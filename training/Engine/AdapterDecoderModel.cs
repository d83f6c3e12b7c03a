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
/// when sessions interleave. Borrows model and method; puts the method in evaluation mode.
/// </summary>
public sealed class AdapterDecoderModel : IDecoderModel
{
    public AdapterDecoderModel(LlamaModel model, IAdapterMethod method)
    {
        if (!ReferenceEquals(method.AttachedModel, model)) throw new ArgumentException($"the {method.Name} adapter is not attached to this model");
        Model = model;
        Method = method;
        method.Training = false;
    }

    public LlamaModel Model { get; }
    public IAdapterMethod Method { get; }
    public LlamaConfig Config => Model.Config;

    public IDecoderSession StartSession() => new AdapterDecoderSession(Model, Method);

    public void Dispose() { }
}
