using System.Globalization;
using System.Runtime.InteropServices;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// llama2.c's legacy checkpoint: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads,
/// n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier), then
/// float32 tensors in <see cref="LlamaWeights.ExpectedShapes"/> order with the layers of each
/// kind stacked, the legacy freq_cis_real/imag blocks [seq_len, head_size/2] each, and the
/// classifier when not shared. Rotary pairs are adjacent, the canonical layout.
/// </summary>
public static class Llama2cCheckpoint
{
    const int HeaderInts = 7;
    const int HeaderBytes = HeaderInts * sizeof(int);

    public static LlamaWeights Read(string path)
    {
        using var file = OpenForRead(path);
        long length = file.Length;
        if (length < HeaderBytes)
            throw new InvalidFileException(path, $"file is {length} bytes, shorter than the {HeaderBytes}-byte llama2.c header");
        var header = new int[HeaderInts];
        file.ReadExactly(MemoryMarshal.AsBytes(header.AsSpan()));
        var config = ConfigFromHeader(path, header);
        long expected = ExpectedFileSize(config);
        if (length != expected)
            throw new InvalidFileException(path,
                $"file is {length.ToString("N0", CultureInfo.InvariantCulture)} bytes but its header (dim {config.Dim}, hidden {config.HiddenDim}, layers {config.NumLayers}, heads {config.NumHeads}, kv_heads {config.NumKvHeads}, vocab {config.VocabSize}, seq_len {config.MaxSeqLen}) implies {expected.ToString("N0", CultureInfo.InvariantCulture)} bytes"
                + (length < expected ? " (truncated?)" : ""));

        var tensors = new List<TensorData>();
        foreach (var (kind, shape, perLayer) in FileOrder(config))
        {
            if (kind == FreqCisBlocks) { file.Seek(FreqCisBytes(config), SeekOrigin.Current); continue; }
            if (!perLayer)
            {
                tensors.Add(new TensorData(kind, shape, ReadFloats(file, shape)));
                continue;
            }
            for (int l = 0; l < config.NumLayers; l++)
                tensors.Add(new TensorData(string.Format(kind, l), shape, ReadFloats(file, shape)));
        }
        return new LlamaWeights(config, tensors, path);
    }

    /// <summary>Refuses a model the llama2.c header cannot describe (its features would be lost): use the HF format.</summary>
    public static void Write(LlamaWeights weights, string path)
    {
        var c = weights.Config;
        var lost = new List<string>();
        if (c.Family != ModelFamilies.Llama) lost.Add($"family {c.Family}");
        if (c.HeadDim is not null) lost.Add($"head_dim {c.HeadDim}");
        if (c.QkvBias || c.OutputBias) lost.Add("projection biases");
        if (c.QkNorm) lost.Add("q/k norm");
        if (c.RopeScaling is not null) lost.Add($"rope_scaling {c.RopeScaling.Type}");
        if (c.NormEps != LlamaConfig.DefaultNormEps) lost.Add($"norm_eps {c.NormEps}");
        if (c.RopeTheta != LlamaConfig.DefaultRopeTheta) lost.Add($"rope_theta {c.RopeTheta}");
        if (lost.Count > 0)
            throw new ArgumentException($"the llama2.c format cannot hold {string.Join(", ", lost)}; write the Hugging Face format (--format hf)");
        AtomicFile.Write(path, stream =>
        {
            int[] header = [c.Dim, c.HiddenDim, c.NumLayers, c.NumHeads, c.NumKvHeads, c.SharedClassifier ? c.VocabSize : -c.VocabSize, c.MaxSeqLen];
            stream.Write(MemoryMarshal.AsBytes(header.AsSpan()));
            foreach (var (kind, shape, perLayer) in FileOrder(c))
            {
                if (kind == FreqCisBlocks) { WriteFreqCis(stream, c); continue; }
                if (!perLayer) { stream.Write(MemoryMarshal.AsBytes(weights[kind].Data.AsSpan())); continue; }
                for (int l = 0; l < c.NumLayers; l++)
                    stream.Write(MemoryMarshal.AsBytes(weights[string.Format(kind, l)].Data.AsSpan()));
            }
        });
    }

    /// <summary>True when the file starts like a legacy llama2.c checkpoint (plausible header, matching size).</summary>
    public static bool LooksLikeLlama2c(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = OpenForRead(path);
        if (file.Length < HeaderBytes) return false;
        var header = new int[HeaderInts];
        file.ReadExactly(MemoryMarshal.AsBytes(header.AsSpan()));
        return header[0] > 0 && header[1] > 0 && header[2] > 0 && header[3] > 0 && header[4] > 0 && header[5] != 0 && header[6] > 0;
    }

    public static long ExpectedFileSize(LlamaConfig c)
    {
        long floats = 0;
        foreach (var (kind, shape, perLayer) in FileOrder(c))
            floats += kind == FreqCisBlocks ? FreqCisBytes(c) / sizeof(float) : TensorData.ElementCount(shape) * (perLayer ? c.NumLayers : 1);
        return HeaderBytes + floats * sizeof(float);
    }

    const string FreqCisBlocks = "<freq_cis>";

    static long FreqCisBytes(LlamaConfig c) => 2L * c.MaxSeqLen * (c.HeadSize / 2) * sizeof(float);

    /// <summary>(name or per-layer name format, shape of one tensor, stacked per layer).</summary>
    static IEnumerable<(string Kind, int[] Shape, bool PerLayer)> FileOrder(LlamaConfig c)
    {
        string L(Func<int, string> f) => f(0).Replace("layers.0.", "layers.{0}.");
        yield return (LlamaTensorNames.TokenEmbedding, [c.VocabSize, c.Dim], false);
        yield return (L(LlamaTensorNames.AttentionNorm), [c.Dim], true);
        yield return (L(LlamaTensorNames.Wq), [c.Dim, c.Dim], true);
        yield return (L(LlamaTensorNames.Wk), [c.KvDim, c.Dim], true);
        yield return (L(LlamaTensorNames.Wv), [c.KvDim, c.Dim], true);
        yield return (L(LlamaTensorNames.Wo), [c.Dim, c.Dim], true);
        yield return (L(LlamaTensorNames.FfnNorm), [c.Dim], true);
        yield return (L(LlamaTensorNames.W1), [c.HiddenDim, c.Dim], true);
        yield return (L(LlamaTensorNames.W2), [c.Dim, c.HiddenDim], true);
        yield return (L(LlamaTensorNames.W3), [c.HiddenDim, c.Dim], true);
        yield return (LlamaTensorNames.FinalNorm, [c.Dim], false);
        yield return (FreqCisBlocks, [], false);
        if (!c.SharedClassifier) yield return (LlamaTensorNames.Classifier, [c.VocabSize, c.Dim], false);
    }

    static LlamaConfig ConfigFromHeader(string path, int[] h)
    {
        string[] names = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"];
        for (int i = 0; i < HeaderInts; i++)
            if (i == 5 ? h[i] == 0 : h[i] <= 0)
                throw new InvalidFileException(path, $"invalid llama2.c header: {names[i]} = {h[i]} (header: {string.Join(", ", h)}); is this a llama2.c checkpoint?");
        var config = new LlamaConfig
        {
            Dim = h[0], HiddenDim = h[1], NumLayers = h[2], NumHeads = h[3], NumKvHeads = h[4],
            VocabSize = Math.Abs(h[5]), MaxSeqLen = h[6], SharedClassifier = h[5] > 0,
        };
        try { return config.Validate(); }
        catch (ArgumentException e) { throw new InvalidFileException(path, "invalid llama2.c header: " + e.Message); }
    }

    static float[] ReadFloats(Stream file, int[] shape)
    {
        var data = new float[TensorData.ElementCount(shape)];
        file.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        return data;
    }

    static void WriteFreqCis(Stream stream, LlamaConfig c)
    {
        int half = c.HeadSize / 2;
        var real = new float[c.MaxSeqLen * half];
        var imag = new float[c.MaxSeqLen * half];
        for (int pos = 0; pos < c.MaxSeqLen; pos++)
            for (int i = 0; i < half; i++)
            {
                double freq = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / c.HeadSize);
                real[pos * half + i] = (float)Math.Cos(pos * freq);
                imag[pos * half + i] = (float)Math.Sin(pos * freq);
            }
        stream.Write(MemoryMarshal.AsBytes(real.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(imag.AsSpan()));
    }

    static FileStream OpenForRead(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20); }
        catch (FileNotFoundException) { throw new InvalidFileException(path, "file not found"); }
        catch (DirectoryNotFoundException) { throw new InvalidFileException(path, "file not found"); }
    }
}
