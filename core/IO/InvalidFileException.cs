namespace Adapters.Core.IO;

/// <summary>
/// A file from outside — checkpoint, adapter, exported folder, tokenizer, template or ONNX graph — that
/// cannot be used; the message names the file and the problem (one `error:` line in the CLI, a 4xx in the host).
/// </summary>
public class InvalidFileException(string path, string problem)
    : IOException($"{path}: {problem}")
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
