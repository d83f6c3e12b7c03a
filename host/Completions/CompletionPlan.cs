using Adapters.Runtime.Backends;

namespace Adapters.Host.Completions;

/// <summary>A validated completion request: the backend's job plus what the host itself handles.</summary>
internal sealed record CompletionPlan
{
    public required CompletionJob Job { get; init; }
    public required IReadOnlyList<string> Stops { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
}
