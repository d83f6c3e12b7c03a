namespace Adapters.Runtime;

/// <summary>
/// Logits of one batched forward, row-major [batch, tokens, vocab]. Rows shorter than the
/// longest were left-padded, so every row's last real token is at index tokens − 1; logits at
/// padding positions are meaningless.
/// </summary>
public sealed class BatchLogits
{
    public BatchLogits(float[] data, int batch, int tokens, int vocab)
    {
        if ((long)batch * tokens * vocab != data.Length)
            throw new ArgumentException($"logits hold {data.Length} values, not batch {batch} × tokens {tokens} × vocab {vocab}");
        Data = data;
        Batch = batch;
        Tokens = tokens;
        Vocab = vocab;
    }

    public float[] Data { get; }
    public int Batch { get; }
    public int Tokens { get; }
    public int Vocab { get; }

    /// <summary>Logits [vocab] of one token of one row.</summary>
    public ReadOnlySpan<float> At(int row, int token)
    {
        if ((uint)row >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside the batch of {Batch}");
        if ((uint)token >= (uint)Tokens) throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside the {Tokens} tokens of this forward");
        return Data.AsSpan(((row * Tokens) + token) * Vocab, Vocab);
    }

    /// <summary>Logits of a row's last token: what the next token is sampled from.</summary>
    public ReadOnlySpan<float> Last(int row) => At(row, Tokens - 1);
}
