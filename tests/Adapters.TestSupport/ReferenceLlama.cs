using Adapters.Core.Model;
using N = Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.TestSupport;

/// <summary>
/// An independent, deliberately naive LLaMA forward pass: a line-by-line port of llama2.c's
/// run.c (one token at a time, explicit KV cache, double accumulators), extended by the
/// families' features as Hugging Face's modeling files write them: q/k/v/o biases, Qwen3's
/// per-head q/k RMSNorm before the rotary step, an explicit head_dim (q is [heads·head_dim, dim]),
/// and rope_scaling (llama3, linear) computed here on its own, not through the engines' shared
/// RotaryFrequencies. It is the hand computation the TorchSharp and ONNX Runtime engines are
/// checked against.
/// </summary>
public sealed class ReferenceLlama
{
    readonly LlamaWeights _w;
    readonly LlamaConfig _c;
    readonly float[][] _keyCache, _valueCache; // per layer [seq_len * kv_dim]
    public int Position { get; private set; }

    public ReferenceLlama(LlamaWeights weights)
    {
        _w = weights;
        _c = weights.Config;
        _keyCache = Enumerable.Range(0, _c.NumLayers).Select(_ => new float[_c.MaxSeqLen * _c.KvDim]).ToArray();
        _valueCache = Enumerable.Range(0, _c.NumLayers).Select(_ => new float[_c.MaxSeqLen * _c.KvDim]).ToArray();
    }

    /// <summary>Logits [vocab] after feeding one token at the current position.</summary>
    public float[] Step(int token)
    {
        int dim = _c.Dim, kvDim = _c.KvDim, hs = _c.HeadSize, pos = Position;
        var x = _w[N.TokenEmbedding].Data.AsSpan(token * dim, dim).ToArray();
        for (int l = 0; l < _c.NumLayers; l++)
        {
            // attention
            var xb = RmsNorm(x, _w[N.AttentionNorm(l)].Data);
            var q = Project(l, "q_proj", xb);
            var k = Project(l, "k_proj", xb);
            var v = Project(l, "v_proj", xb);
            if (_c.QkNorm)
            {
                HeadNorm(q, _w[N.QNorm(l)].Data);
                HeadNorm(k, _w[N.KNorm(l)].Data);
            }
            Rope(q, pos); Rope(k, pos);
            Array.Copy(k, 0, _keyCache[l], pos * kvDim, kvDim);
            Array.Copy(v, 0, _valueCache[l], pos * kvDim, kvDim);
            var att = new float[_c.NumHeads * hs];
            for (int h = 0; h < _c.NumHeads; h++)
            {
                int kvh = h / _c.KvGroupSize;
                var scores = new double[pos + 1];
                for (int t = 0; t <= pos; t++)
                {
                    double s = 0;
                    for (int i = 0; i < hs; i++) s += q[h * hs + i] * _keyCache[l][t * kvDim + kvh * hs + i];
                    scores[t] = s / Math.Sqrt(hs);
                }
                double max = scores.Max(), sum = 0;
                for (int t = 0; t <= pos; t++) sum += scores[t] = Math.Exp(scores[t] - max);
                for (int i = 0; i < hs; i++)
                {
                    double acc = 0;
                    for (int t = 0; t <= pos; t++) acc += scores[t] / sum * _valueCache[l][t * kvDim + kvh * hs + i];
                    att[h * hs + i] = (float)acc;
                }
            }
            var o = Project(l, "o_proj", att);
            for (int i = 0; i < dim; i++) x[i] += o[i];

            // feed-forward: w2(silu(w1 x) * w3 x)
            xb = RmsNorm(x, _w[N.FfnNorm(l)].Data);
            var h1 = MatVec(_w[N.W1(l)].Data, xb, _c.HiddenDim, dim);
            var h3 = MatVec(_w[N.W3(l)].Data, xb, _c.HiddenDim, dim);
            for (int i = 0; i < h1.Length; i++) h1[i] = (float)(h1[i] / (1 + Math.Exp(-h1[i])) * h3[i]);
            var down = MatVec(_w[N.W2(l)].Data, h1, dim, _c.HiddenDim);
            for (int i = 0; i < dim; i++) x[i] += down[i];
        }
        x = RmsNorm(x, _w[N.FinalNorm].Data);
        Position++;
        return MatVec(_w[N.Classifier].Data, x, _c.VocabSize, dim);
    }

    float[] RmsNorm(float[] x, float[] gain)
    {
        double ss = 0;
        foreach (float v in x) ss += (double)v * v;
        double scale = 1.0 / Math.Sqrt(ss / x.Length + _c.NormEps);
        var result = new float[x.Length];
        for (int i = 0; i < x.Length; i++) result[i] = (float)(gain[i] * x[i] * scale);
        return result;
    }

    /// <summary>W·x (+ b when the checkpoint has the projection's bias).</summary>
    float[] Project(int layer, string projection, float[] x)
    {
        var w = _w[N.Projection(layer, projection)];
        var y = MatVec(w.Data, x, w.Shape[0], w.Shape[1]);
        string bias = N.ProjectionBias(layer, projection);
        if (_w.Contains(bias))
        {
            var b = _w[bias].Data;
            for (int i = 0; i < y.Length; i++) y[i] += b[i];
        }
        return y;
    }

    /// <summary>Qwen3's q_norm/k_norm: RMSNorm of every head of <paramref name="vec"/> on its own, with one gain [head_dim].</summary>
    void HeadNorm(float[] vec, float[] gain)
    {
        int hs = _c.HeadSize;
        for (int start = 0; start < vec.Length; start += hs)
        {
            var head = RmsNorm(vec[start..(start + hs)], gain);
            Array.Copy(head, 0, vec, start, hs);
        }
    }

    /// <summary>Rotates adjacent pairs (2i, 2i+1) inside each head by pos·ω_i, ω_i = θ^(−2i/head_size) rescaled by rope_scaling.</summary>
    void Rope(float[] vec, int pos)
    {
        int hs = _c.HeadSize;
        for (int i = 0; i < vec.Length; i += 2)
        {
            int headDim = i % hs;
            double freq = ScaledFrequency(1.0 / Math.Pow(_c.RopeTheta, (double)headDim / hs));
            double angle = pos * freq, cos = Math.Cos(angle), sin = Math.Sin(angle);
            double a = vec[i], b = vec[i + 1];
            vec[i] = (float)(a * cos - b * sin);
            vec[i + 1] = (float)(a * sin + b * cos);
        }
    }

    /// <summary>
    /// transformers' _compute_linear_scaling_rope_parameters and _compute_llama3_parameters, per
    /// frequency: linear divides by the factor; llama3 keeps periods shorter than
    /// original / high_freq_factor, divides those longer than original / low_freq_factor by the
    /// factor, and in between mixes the two with weight (original / period − low) / (high − low).
    /// </summary>
    double ScaledFrequency(double freq)
    {
        if (_c.RopeScaling is not { } scaling) return freq;
        if (scaling.Type == "linear") return freq / scaling.Factor;
        if (scaling.Type != "llama3") throw new NotSupportedException($"reference: rope_scaling {scaling.Type}");
        double original = scaling.OriginalMaxPositionEmbeddings!.Value, low = scaling.LowFreqFactor!.Value, high = scaling.HighFreqFactor!.Value;
        double period = 2 * Math.PI / freq;
        if (period < original / high) return freq;
        if (period > original / low) return freq / scaling.Factor;
        double smooth = (original / period - low) / (high - low);
        return (1 - smooth) * freq / scaling.Factor + smooth * freq;
    }

    static float[] MatVec(float[] w, float[] x, int rows, int cols)
    {
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double acc = 0;
            int off = r * cols;
            for (int c = 0; c < cols; c++) acc += (double)w[off + c] * x[c];
            y[r] = (float)acc;
        }
        return y;
    }
}
