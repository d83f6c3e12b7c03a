using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.Onnx;

namespace Adapters.Export.Quantization;

/// <summary>
/// Emits quantized linear layers into a decoder graph: each weight is block-quantized
/// (<see cref="BlockQuantizer"/>) into two initializers, the codes (uint8 [N, blocks, blob]) and
/// the scales (float [N, blocks]), read by one com.microsoft MatMulNBits node computing
/// x·Ŵᵀ for x [..., K]. Keeps every weight's quantization error for the manifest
/// (<see cref="Report"/>). One instance per export.
/// </summary>
public sealed class MatMulNBitsEmitter
{
    /// <summary>Suffixes of the two initializers of a quantized weight.</summary>
    public const string CodesSuffix = ".qweight", ScalesSuffix = ".scales";

    readonly QuantizationOptions _options;
    readonly Dictionary<string, double> _errors = new(StringComparer.Ordinal);
    double _errorSquared, _normSquared;

    public MatMulNBitsEmitter(QuantizationOptions options) => _options = options.Validate();

    public QuantizationOptions Options => _options;

    /// <summary>
    /// x·Wᵀ for the members' weights W [outᵢ, in] stacked by rows (a projection group packed as
    /// one [Σout, in] weight): <paramref name="weightName"/> names the initializers, and each
    /// member's error is recorded under its own name.
    /// </summary>
    public string Linear(OnnxGraphBuilder g, string input, string weightName, IReadOnlyList<(string Name, TensorData Weight)> members, int inFeatures, string hint) =>
        Emit(g, input, weightName, members, inFeatures, _options.Bits, hint, output: null);

    /// <summary>
    /// Logits [B, S, vocab] = hidden [B, S, dim] · Wclsᵀ with the classifier quantized to
    /// <see cref="QuantizationOptions.ClassifierBits"/>; written under the exact output name.
    /// </summary>
    public string Classifier(OnnxGraphBuilder g, string hidden, TensorData classifier, string outputName) =>
        Emit(g, hidden, LlamaTensorNames.Classifier, [(LlamaTensorNames.Classifier, classifier)], classifier.Shape[1],
            _options.ClassifierBits ?? throw new InvalidOperationException("the classifier is not quantized in this export"), "logits", outputName);

    string Emit(OnnxGraphBuilder g, string input, string weightName, IReadOnlyList<(string Name, TensorData Weight)> members,
        int inFeatures, int bits, string hint, string? output)
    {
        int n = members.Sum(m => m.Weight.Shape[0]);
        var rows = new float[(long)n * inFeatures];
        long offset = 0;
        foreach (var (_, w) in members)
        {
            if (w.Shape.Length != 2 || w.Shape[1] != inFeatures)
                throw new ArgumentException($"weight '{w.Name}' has shape {w.ShapeText}, expected [out, {inFeatures}]");
            w.Data.CopyTo(rows, offset);
            offset += w.Data.Length;
        }
        var q = BlockQuantizer.Quantize(rows, n, inFeatures, bits, _options.BlockSize);
        Record(members, q.Dequantize(), inFeatures);

        string codes = g.AddWeight(weightName + CodesSuffix, [n, q.Blocks, q.BlobSize], q.Packed);
        string scales = g.AddWeight(weightName + ScalesSuffix, [n, q.Blocks], q.Scales);
        return g.MicrosoftOp("MatMulNBits", [input, codes, scales], hint, output,
            OnnxAttribute.Int("K", inFeatures), OnnxAttribute.Int("N", n), OnnxAttribute.Int("bits", bits),
            OnnxAttribute.Int("block_size", _options.BlockSize), OnnxAttribute.Int("accuracy_level", _options.AccuracyLevel));
    }

    void Record(IReadOnlyList<(string Name, TensorData Weight)> members, float[] dequantized, int inFeatures)
    {
        long offset = 0;
        foreach (var (name, w) in members)
        {
            var (error, norm) = BlockQuantizer.Error(w.Data, dequantized.AsSpan((int)offset, w.Data.Length));
            _errors[name] = norm > 0 ? Math.Sqrt(error / norm) : 0;
            _errorSquared += error;
            _normSquared += norm;
            offset += w.Data.Length;
        }
    }

    /// <summary>model_manifest.json "quantization": the settings and the error of every weight quantized so far.</summary>
    public ExportedQuantization Report() => new()
    {
        Bits = _options.Bits,
        BlockSize = _options.BlockSize,
        AccuracyLevel = _options.AccuracyLevel,
        ClassifierBits = _options.ClassifierBits,
        RelativeError = _normSquared > 0 ? Math.Sqrt(_errorSquared / _normSquared) : 0,
        ProjectionErrors = new SortedDictionary<string, double>(_errors, StringComparer.Ordinal),
    };
}
