namespace Adapters.Core.Tokenizers;

/// <summary>
/// One entry of tokenizer.json's "added_tokens": matched in the text before normalization
/// (<see cref="Normalized"/> false) or after it (true), always as one id, never split by BPE.
/// <see cref="LStrip"/>/<see cref="RStrip"/> swallow the whitespace to its left/right.
/// </summary>
internal sealed record HfAddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip);
