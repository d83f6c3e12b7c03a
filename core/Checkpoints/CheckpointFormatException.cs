namespace Adapters.Core;

/// <summary>A model, adapter or tokenizer file that cannot be read; the message names the file and the problem.</summary>
public sealed class CheckpointFormatException(string path, string problem)
    : IOException($"{path}: {problem}")
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
