namespace Adapters.Export.Quantization;

/// <summary>
/// Symmetric block quantization, the rule of llama.cpp's Q4_0 for every bit width: in each block
/// the weight m of largest magnitude sets scale = m / −2^(bits−1), so m itself is exact (code 0)
/// and the other weights round to the nearest of the 2^bits levels (q = round(w / scale), clamped
/// to [−2^(bits−1), 2^(bits−1) − 1], code q + 2^(bits−1)). Pure arithmetic on the input order:
/// the same weights always give the same bytes.
/// </summary>
public static class BlockQuantizer
{
    /// <param name="rows">W [n, k] row-major (a linear layer's [out, in]).</param>
    public static BlockQuantizedMatrix Quantize(ReadOnlySpan<float> rows, int n, int k, int bits, int blockSize)
    {
        if (rows.Length != (long)n * k) throw new ArgumentException($"a [{n}, {k}] weight holds {(long)n * k} values, got {rows.Length}");
        int blocks = (k + blockSize - 1) / blockSize, blob = blockSize * bits / 8;
        int zero = 1 << (bits - 1), qMin = -zero, qMax = zero - 1;
        var packed = new byte[(long)n * blocks * blob];
        var scales = new float[(long)n * blocks];
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * k, k);
            for (int b = 0; b < blocks; b++)
            {
                int start = b * blockSize, end = Math.Min(start + blockSize, k);
                float extreme = 0;
                for (int i = start; i < end; i++)
                {
                    if (!float.IsFinite(row[i])) throw new ArgumentException($"weight [{r}, {i}] is {row[i]}; cannot quantize a non-finite value");
                    if (Math.Abs(row[i]) > Math.Abs(extreme)) extreme = row[i];
                }
                float scale = extreme / qMin;
                float inverse = scale == 0 ? 0 : 1 / scale;
                scales[(long)r * blocks + b] = scale;
                long blobStart = ((long)r * blocks + b) * blob;
                for (int i = 0; i < blockSize; i++)
                {
                    // Past K (a partial last block) the code is the zero point: value 0.
                    int q = start + i < end ? Math.Clamp((int)MathF.Round(row[start + i] * inverse, MidpointRounding.AwayFromZero), qMin, qMax) : 0;
                    int code = q + zero, bit = i * bits;
                    packed[blobStart + bit / 8] |= (byte)(code << (bit % 8));
                }
            }
        }
        return new BlockQuantizedMatrix(n, k, bits, blockSize, packed, scales);
    }

    /// <summary>‖W − Ŵ‖²_F and ‖W‖²_F, in double.</summary>
    public static (double ErrorSquared, double NormSquared) Error(ReadOnlySpan<float> original, ReadOnlySpan<float> dequantized)
    {
        double error = 0, norm = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double d = original[i] - (double)dequantized[i];
            error += d * d;
            norm += (double)original[i] * original[i];
        }
        return (error, norm);
    }
}
