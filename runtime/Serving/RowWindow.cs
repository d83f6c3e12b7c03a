namespace Adapters.Runtime.Serving;

/// <summary>
/// What one row feeds in one forward: <see cref="Tokens"/> new tokens starting at absolute
/// position <see cref="StartPosition"/>, in a sequence whose prompt is <see cref="PromptLength"/>
/// tokens long (residual edits apply at prompt positions only).
/// </summary>
public readonly record struct RowWindow(int StartPosition, int Tokens, int PromptLength);
