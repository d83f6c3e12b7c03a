using Adapters.Core.Generation;
using Adapters.Core.Model;

namespace Adapters.Cli;

/// <summary>An <see cref="IDecoderModel"/> that also disposes what the inner model only borrows.</summary>
public sealed class OwningDecoderModel(IDecoderModel inner, params IDisposable[] owned) : IDecoderModel
{
    public LlamaConfig Config => inner.Config;
    public IDecoderSession StartSession() => inner.StartSession();

    public void Dispose()
    {
        inner.Dispose();
        foreach (var d in owned) d.Dispose();
    }
}
