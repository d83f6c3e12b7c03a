namespace Adapters.Core.Chat;

/// <summary>A piece of rendered training text and its token ids; the loss covers the tokens of <see cref="Trained"/> pieces.</summary>
public sealed record TextSegment(string Text, bool Trained, IReadOnlyList<int> Tokens);
