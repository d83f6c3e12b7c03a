namespace Adapters.Runtime.Backends;

/// <summary>How many tokens a request may generate: what it asks for, within what the context leaves after the prompt.</summary>
public static class ContextBudget
{
    /// <summary>
    /// <paramref name="requested"/> (null = <paramref name="defaultTokens"/>, or all that is left of
    /// the context when that is less), checked against the room after the prompt.
    /// </summary>
    /// <param name="param">The request field the number came from, named in the refusal.</param>
    /// <exception cref="ContextBudgetException">The prompt leaves no room, or the request asks for more than is left.</exception>
    public static int MaxNewTokens(int promptTokens, int context, long? requested, int? defaultTokens, string param)
    {
        if (promptTokens > context)
            throw new ContextBudgetException($"the prompt is {promptTokens} tokens, longer than the model's context of {context} tokens", "prompt", exceeded: true);
        int room = context - promptTokens;
        if (room == 0)
            throw new ContextBudgetException($"the prompt is {promptTokens} tokens and fills the model's context of {context} tokens; no room is left to generate", "prompt", exceeded: true);
        long maxTokens = requested ?? Math.Min(defaultTokens ?? room, room);
        if (maxTokens < 1) throw new ContextBudgetException($"{param} must be at least 1, got {maxTokens}", param, exceeded: false);
        if (maxTokens > room)
            throw new ContextBudgetException(
                $"{param} is {maxTokens}, but the prompt is {promptTokens} tokens and the context is {context}, so at most {room} tokens can be generated", param, exceeded: true);
        return (int)maxTokens;
    }
}
