namespace Adapters.Export.Onnx;

/// <summary>
/// One dimension of a graph input or output: a fixed size or a symbolic name such as "batch"
/// (symbolic names let ONNX Runtime check that inputs sharing a name agree).
/// </summary>
public readonly record struct TensorDim
{
    TensorDim(string? symbol, long size)
    {
        Symbol = symbol;
        Size = size;
    }

    /// <summary>The symbolic name, or null for a fixed size.</summary>
    public string? Symbol { get; }

    /// <summary>The fixed size; meaningless when <see cref="Symbol"/> is set.</summary>
    public long Size { get; }

    public bool IsSymbolic => Symbol is not null;

    public static TensorDim Named(string symbol) =>
        string.IsNullOrWhiteSpace(symbol) ? throw new ArgumentException("a symbolic dimension needs a name") : new(symbol, 0);

    public static TensorDim Fixed(long size) =>
        size < 0 ? throw new ArgumentException($"a fixed dimension must be >= 0, got {size}") : new(null, size);

    public static implicit operator TensorDim(string symbol) => Named(symbol);
    public static implicit operator TensorDim(long size) => Fixed(size);
    public static implicit operator TensorDim(int size) => Fixed(size);

    public override string ToString() => Symbol ?? Size.ToString();
}
