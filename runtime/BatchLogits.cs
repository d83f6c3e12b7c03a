namespace Adapters.Runtime;

/// <summary>
/// Logits of one batched forward, row-major [batch, tokens, vocab]. Rows shorter than the
/// longest were left-padded, so every row's last real token is at index tokens − 1; logits at
/// padding positions are meaningless.
/// </summary>
/// <remarks>
/// Logits from <see cref="OnnxBatchSession.Forward"/> are the caller's to keep. Logits from
/// <see cref="OnnxBatchSession.ForwardBorrowed"/> live in a buffer the session reuses: they are
/// valid until that session's next <see cref="OnnxBatchSession.ForwardBorrowed"/> or its
/// disposal, after which <see cref="Values"/>, <see cref="At"/> and <see cref="Last"/> throw
/// rather than return another step's values (<see cref="IsStale"/> tells beforehand). A span
/// taken earlier is not checked: use it before the next forward.
/// </remarks>
public sealed class BatchLogits
{
    readonly float[] _data;
    readonly LogitsLoan? _loan;
    readonly int _version;

    public BatchLogits(float[] data, int batch, int tokens, int vocab) : this(data, batch, tokens, vocab, null) { }

    /// <param name="data">Exactly batch × tokens × vocab values; a loan's buffer may be longer (its start is used).</param>
    internal BatchLogits(float[] data, int batch, int tokens, int vocab, LogitsLoan? loan)
    {
        long length = (long)batch * tokens * vocab;
        if (loan is null ? length != data.Length : length > data.Length)
            throw new ArgumentException($"logits hold {data.Length} values, not batch {batch} × tokens {tokens} × vocab {vocab}");
        _data = data;
        Batch = batch;
        Tokens = tokens;
        Vocab = vocab;
        _loan = loan;
        _version = loan?.Version ?? 0;
    }

    /// <summary>The caller-owned array of <see cref="OnnxBatchSession.Forward"/>'s logits, without a copy.</summary>
    internal float[] OwnedArray => _loan is null ? _data : throw new InvalidOperationException("borrowed logits have no array of their own");

    /// <summary>All logits, row-major [batch, tokens, vocab].</summary>
    public ReadOnlySpan<float> Values
    {
        get
        {
            ThrowIfStale();
            return _data.AsSpan(0, Batch * Tokens * Vocab);
        }
    }

    public int Batch { get; }
    public int Tokens { get; }
    public int Vocab { get; }

    /// <summary>True once the session these logits were borrowed from has overwritten them (never for owned logits).</summary>
    public bool IsStale => _loan is not null && _loan.Version != _version;

    /// <summary>Logits [vocab] of one token of one row.</summary>
    public ReadOnlySpan<float> At(int row, int token)
    {
        if ((uint)row >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside the batch of {Batch}");
        if ((uint)token >= (uint)Tokens) throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside the {Tokens} tokens of this forward");
        ThrowIfStale();
        return _data.AsSpan(((row * Tokens) + token) * Vocab, Vocab);
    }

    /// <summary>Logits of a row's last token: what the next token is sampled from.</summary>
    public ReadOnlySpan<float> Last(int row) => At(row, Tokens - 1);

    void ThrowIfStale()
    {
        if (IsStale)
            throw new InvalidOperationException(
                "these logits were borrowed from a batch session (ForwardBorrowed) that has since overwritten them with a later forward or been disposed; " +
                "use them before the next ForwardBorrowed, copy them, or call Forward for logits of your own");
    }
}

/// <summary>
/// The reusable logits buffer of one <see cref="OnnxBatchSession"/>: its version moves on each
/// time the buffer is about to be overwritten, which makes the <see cref="BatchLogits"/> handed
/// out before stale.
/// </summary>
internal sealed class LogitsLoan
{
    public int Version { get; private set; }

    public void Revoke() => Version++;
}
