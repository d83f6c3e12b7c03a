namespace Adapters.Core.Model;

/// <summary>A named dense float32 tensor in row-major order.</summary>
public sealed class TensorData
{
    public TensorData(string name, int[] shape, float[] data)
    {
        long count = ElementCount(shape);
        if (count != data.Length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] holds {count} values but {data.Length} were given");
        Name = name;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }
    public int[] Shape { get; }
    public float[] Data { get; }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    public static long ElementCount(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    public bool HasShape(params int[] expected) => Shape.AsSpan().SequenceEqual(expected);
}
