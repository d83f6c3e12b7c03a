namespace Adapters.Runtime.Backends;

/// <summary>A request that does not fit the model's context; <see cref="Param"/> names the request field at fault.</summary>
public sealed class ContextBudgetException(string message, string param, bool exceeded) : ArgumentException(message)
{
    public string Param { get; } = param;

    /// <summary>True when the context length is what is exceeded (OpenAI's "context_length_exceeded").</summary>
    public bool ContextExceeded { get; } = exceeded;
}
