using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Hugging Face LLaMA checkpoints store q/k projection rows permuted so that rotary embeddings
/// rotate the two halves of each head (rotate_half); our canonical layout rotates adjacent
/// pairs (2i, 2i+1). Canonical row h·hs + 2i + p is HF row h·hs + p·hs/2 + i.
/// </summary>
public static class RotaryLayout
{
    public static TensorData ToHuggingFace(TensorData w, int heads) => Permute(w, heads, toHf: true);
    public static TensorData FromHuggingFace(TensorData w, int heads) => Permute(w, heads, toHf: false);

    static TensorData Permute(TensorData w, int heads, bool toHf)
    {
        int rows = w.Shape[0], cols = w.Shape[1];
        int headSize = rows / heads, half = headSize / 2;
        var result = new float[w.Data.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int p = 0; p < 2; p++)
                {
                    int canonical = h * headSize + 2 * i + p;
                    int hf = h * headSize + p * half + i;
                    int from = toHf ? canonical : hf, to = toHf ? hf : canonical;
                    Array.Copy(w.Data, (long)from * cols, result, (long)to * cols, cols);
                }
        return new TensorData(w.Name, w.Shape, result);
    }
}
