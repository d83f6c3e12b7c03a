using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// A session's inputs and outputs held in one ONNX Runtime IOBinding across runs, re-bound only
/// where a value changed since the previous run: a decode step changes its attention mask and
/// little else. InferenceSession.Run marshals every name and value on every call instead; on a
/// batch-1 decode of the same graph, runs through a binding had a shorter step-time tail (issue 17).
/// CPU only: on another device ONNX Runtime copies an input when it is bound, so a buffer that is
/// rewritten in place between runs (the token ids) would not reach the device again.
/// </summary>
internal sealed class RunBinding(InferenceSession session) : IDisposable
{
    readonly OrtIoBinding _binding = session.CreateIoBinding();
    string[] _inputNames = [];
    OrtValue?[] _inputs = [];
    string[] _outputNames = [];
    OrtValue?[] _outputs = [];

    /// <summary>
    /// Runs the session on these inputs and outputs (names and values in the same order). The
    /// values must be valid for the call; the binding still refers to them afterwards, harmlessly,
    /// since a later call re-binds any name whose value is not the very same object.
    /// </summary>
    public void Run(RunOptions options, ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs,
        ReadOnlySpan<string> outputNames, ReadOnlySpan<OrtValue> outputs)
    {
        try
        {
            Sync(ref _inputNames, ref _inputs, inputNames, inputs, output: false);
            Sync(ref _outputNames, ref _outputs, outputNames, outputs, output: true);
            session.RunWithBinding(options, _binding);
        }
        catch
        {
            Clear();
            throw;
        }
    }

    /// <summary>
    /// Binds each value that is not the one bound under its name; other names than last time
    /// (an input fed or dropped) clear that side's bindings first, so nothing stale stays bound.
    /// </summary>
    void Sync(ref string[] boundNames, ref OrtValue?[] bound, ReadOnlySpan<string> names, ReadOnlySpan<OrtValue> values, bool output)
    {
        if (!Same(boundNames, names))
        {
            if (output) _binding.ClearBoundOutputs();
            else _binding.ClearBoundInputs();
            boundNames = names.ToArray();
            bound = new OrtValue?[names.Length];
        }
        for (int i = 0; i < values.Length; i++)
        {
            if (ReferenceEquals(bound[i], values[i])) continue;
            if (output) _binding.BindOutput(names[i], values[i]);
            else _binding.BindInput(names[i], values[i]);
            bound[i] = values[i];
        }
    }

    /// <summary>Drops every binding; the next run binds everything afresh.</summary>
    void Clear()
    {
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        _inputNames = [];
        _inputs = [];
        _outputNames = [];
        _outputs = [];
    }

    static bool Same(string[] bound, ReadOnlySpan<string> names)
    {
        if (bound.Length != names.Length) return false;
        for (int i = 0; i < names.Length; i++)
            if (!string.Equals(bound[i], names[i], StringComparison.Ordinal)) return false;
        return true;
    }

    public void Dispose() => _binding.Dispose();
}
