namespace Adapters.Core.Model;

/// <summary>
/// The rotary angular frequencies of a model, written once for every engine: pair i of a head
/// (dimensions 2i, 2i+1 in the canonical adjacent-pair layout) rotates by position · Inverse[i].
/// Follows Hugging Face's rope initialisation (default, linear and llama3), in double precision.
/// </summary>
public static class RotaryFrequencies
{
    /// <summary>Inverse frequencies, one per rotated pair: head_dim / 2 values.</summary>
    public static double[] Inverse(LlamaConfig c)
    {
        int half = c.HeadSize / 2;
        var inv = new double[half];
        for (int i = 0; i < half; i++)
            inv[i] = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / c.HeadSize);
        return c.RopeScaling is null ? inv : Scale(inv, c.RopeScaling);
    }

    static double[] Scale(double[] inv, RopeScaling s)
    {
        if (s.Type == RopeScaling.Linear) return inv.Select(f => f / s.Factor).ToArray();
        // llama3: wavelengths longer than original/low_freq_factor are slowed by factor, shorter
        // than original/high_freq_factor kept, and the band between blended linearly in 1/wavelength.
        double low = s.LowFreqFactor!.Value, high = s.HighFreqFactor!.Value, original = s.OriginalMaxPositionEmbeddings!.Value;
        double lowWavelen = original / low, highWavelen = original / high;
        var scaled = new double[inv.Length];
        for (int i = 0; i < inv.Length; i++)
        {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen < highWavelen) scaled[i] = inv[i];
            else if (wavelen > lowWavelen) scaled[i] = inv[i] / s.Factor;
            else
            {
                double smooth = (original / wavelen - low) / (high - low);
                scaled[i] = (1 - smooth) * inv[i] / s.Factor + smooth * inv[i];
            }
        }
        return scaled;
    }

    /// <summary>cos and sin of position · Inverse[i], [positions, head_dim / 2] row-major, as float.</summary>
    public static (float[] Cos, float[] Sin) Tables(LlamaConfig c, int positions)
    {
        var (cos, sin) = DoubleTables(c, positions);
        return (Array.ConvertAll(cos, v => (float)v), Array.ConvertAll(sin, v => (float)v));
    }

    /// <summary>The same tables in double precision (a float64 engine rounds nothing; a float32 one rounds once, to <see cref="Tables"/>).</summary>
    public static (double[] Cos, double[] Sin) DoubleTables(LlamaConfig c, int positions)
    {
        double[] inv = Inverse(c);
        var cos = new double[positions * inv.Length];
        var sin = new double[positions * inv.Length];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < inv.Length; i++)
            {
                double angle = p * inv[i];
                cos[p * inv.Length + i] = Math.Cos(angle);
                sin[p * inv.Length + i] = Math.Sin(angle);
            }
        return (cos, sin);
    }
}
