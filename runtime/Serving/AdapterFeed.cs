using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime.Serving;

/// <summary>
/// The adapter inputs of one run, by graph input name. Owns the OrtValues it made (each pins a
/// managed array until disposed) and borrows those its builder keeps between runs; dispose after
/// the run. Its builder reuses it for the next run, so it is held by one run at a time.
/// </summary>
public sealed class AdapterFeed : IDisposable
{
    readonly Dictionary<string, OrtValue> _values;
    readonly List<OrtValue> _owned = [];
    bool _inUse;

    /// <param name="capacity">Inputs the run will have (sized once rather than grown step by step).</param>
    internal AdapterFeed(int capacity = 0) => _values = new(capacity, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, OrtValue> Values => _values;

    /// <summary>Starts a run's use of this (empty) feed; refuses while the previous run still holds it.</summary>
    internal AdapterFeed Begin()
    {
        if (_inUse) throw new InvalidOperationException("the previous adapter feed of this builder is still held: dispose it before building the next");
        _inUse = true;
        return this;
    }

    internal void Add(string name, float[] data, long[] shape) => AddOwned(name, OrtValue.CreateTensorValueFromMemory(data, shape));
    internal void Add(string name, long[] data, long[] shape) => AddOwned(name, OrtValue.CreateTensorValueFromMemory(data, shape));

    /// <summary>A value kept between runs (a batched stack, an adapter's own values): fed, never disposed here.</summary>
    internal void AddBorrowed(string name, OrtValue value) => _values.Add(name, value);

    void AddOwned(string name, OrtValue value)
    {
        _owned.Add(value);
        _values.Add(name, value);
    }

    public void Dispose()
    {
        foreach (var v in _owned) v.Dispose();
        _owned.Clear();
        _values.Clear();
        _inUse = false;
    }
}
