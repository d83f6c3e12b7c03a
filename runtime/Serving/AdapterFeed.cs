using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime.Serving;

/// <summary>
/// The adapter inputs of one run, by graph input name. Owns the OrtValues (each pins a managed
/// array until disposed); dispose after the run.
/// </summary>
public sealed class AdapterFeed : IDisposable
{
    readonly Dictionary<string, OrtValue> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, OrtValue> Values => _values;

    internal void Add(string name, float[] data, long[] shape) => _values.Add(name, OrtValue.CreateTensorValueFromMemory(data, shape));
    internal void Add(string name, long[] data, long[] shape) => _values.Add(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    public void Dispose()
    {
        foreach (var v in _values.Values) v.Dispose();
        _values.Clear();
    }
}
