namespace Adapters.Export.Quantization;

/// <summary>
/// A weight W [N, K] (N outputs, K inputs, a linear layer's [out, in]) in MatMulNBits' layout:
/// along each row, blocks of <see cref="BlockSize"/> weights share one fp32 scale, and each
/// weight is a <see cref="Bits"/>-bit code c with value (c − 2^(bits−1)) · scale (the op's
/// default zero point, so no zero-point tensor). <see cref="Packed"/> is [N, blocks, blob]:
/// a block's codes in K order, packed low bits first (4 bits: code 2j in the low nibble of byte
/// j, code 2j+1 in its high nibble); <see cref="Scales"/> is [N, blocks].
/// </summary>
public sealed record BlockQuantizedMatrix(int N, int K, int Bits, int BlockSize, byte[] Packed, float[] Scales)
{
    public int Blocks => (K + BlockSize - 1) / BlockSize;

    /// <summary>Bytes per block: block_size · bits / 8.</summary>
    public int BlobSize => BlockSize * Bits / 8;

    public int ZeroPoint => 1 << (Bits - 1);

    /// <summary>The code of weight [n, k].</summary>
    public int Code(int n, int k)
    {
        int block = k / BlockSize, within = k % BlockSize;
        int bit = within * Bits;
        byte b = Packed[((long)n * Blocks + block) * BlobSize + bit / 8];
        return (b >> (bit % 8)) & ((1 << Bits) - 1);
    }

    /// <summary>Ŵ [N, K] row-major: what MatMulNBits multiplies by.</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)N * K];
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
                w[(long)n * K + k] = (Code(n, k) - ZeroPoint) * Scales[(long)n * Blocks + k / BlockSize];
        return w;
    }
}
