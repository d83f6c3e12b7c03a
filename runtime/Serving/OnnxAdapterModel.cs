using Adapters.Core.Generation;
using Adapters.Core.Model;

namespace Adapters.Runtime.Serving;

/// <summary>
/// An exported model with adapter inputs plus a named adapter from a registry, as an
/// <see cref="IDecoderModel"/>: each session leases the adapter's current version when it starts
/// and keeps it to the end, whatever the registry does meanwhile. A null name runs the base
/// model. Borrows model and registry.
/// </summary>
public sealed class OnnxAdapterModel : IDecoderModel
{
    readonly OnnxDecoderModel _model;
    readonly AdapterRegistry? _registry;
    readonly string? _adapterName;

    public OnnxAdapterModel(OnnxDecoderModel model, AdapterRegistry? registry, string? adapterName)
    {
        if (model.Exported.Manifest.Adapters is null)
            throw new ArgumentException($"{model.Exported.Folder} has no adapter inputs; export it swappable or batched");
        if (adapterName is not null && registry is null) throw new ArgumentException("a named adapter needs a registry");
        _model = model;
        _registry = registry;
        _adapterName = adapterName;
    }

    public LlamaConfig Config => _model.Config;

    public OnnxAdapterSession StartSession()
    {
        var lease = _adapterName is null ? null : _registry!.Acquire(_adapterName);
        try { return new OnnxAdapterSession(_model, new AdapterInputBuilder(_model.Exported.Manifest.Adapters!), lease); }
        catch
        {
            lease?.Dispose();
            throw;
        }
    }

    IDecoderSession IDecoderModel.StartSession() => StartSession();

    public void Dispose() { }
}
