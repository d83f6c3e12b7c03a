namespace Adapters.Runtime.Chat;

/// <summary>How <see cref="AdaptersChatClient.Open"/> loads an exported folder.</summary>
public sealed record AdaptersChatClientOptions
{
    /// <summary>The base model's name (what <c>ChatOptions.ModelId</c> may say); default: the folder's name.</summary>
    public string? ModelName { get; init; }

    /// <summary>Conversations generating at once (rows per decode step with adapters).</summary>
    public int MaxBatch { get; init; } = 4;

    /// <summary>Adapter versions kept in memory; least recently used ones beyond it are evicted.</summary>
    public int MaxLoadedAdapters { get; init; } = 8;

    /// <summary>CPU threads per operator; 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; init; }

    /// <summary>Receives the runtime's few log lines (the execution provider); standard error when null.</summary>
    public Action<string>? Log { get; init; }
}
