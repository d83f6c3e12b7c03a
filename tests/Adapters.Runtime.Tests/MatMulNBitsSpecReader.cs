using Adapters.Core.Model;
using Onnx;

namespace Adapters.Runtime.Tests;

/// <summary>
/// Reads the weights an exported model.onnx feeds to com.microsoft MatMulNBits back to fp32, written
/// from the operator's specification (ONNX Runtime's ContribOperators.md and the onnx reference
/// implementation of MatMulNBits), not from our exporter: B is uint8 [N, k_blocks, blob] with
/// blob = block_size·bits/8, codes packed low bits first along K, one bit stream per row; scales
/// [N, k_blocks]; no zero_points input means the zero point 2^(bits−1); value = (code − zp)·scale.
/// </summary>
public static class MatMulNBitsSpecReader
{
    public sealed record QuantizedNode(string Weight, long K, long N, long Bits, long BlockSize, long AccuracyLevel, float[] Dequantized);

    public static ModelProto ReadModel(string folder) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));

    /// <summary>Every MatMulNBits node of the model with its weight dequantized to [N, K] row-major.</summary>
    public static List<QuantizedNode> Nodes(ModelProto model)
    {
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        var result = new List<QuantizedNode>();
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "MatMulNBits"))
        {
            Assert.Equal("com.microsoft", node.Domain);
            long Attr(string name) => node.Attribute.Single(a => a.Name == name).I;
            long k = Attr("K"), n = Attr("N"), bits = Attr("bits"), blockSize = Attr("block_size");
            long accuracy = node.Attribute.FirstOrDefault(a => a.Name == "accuracy_level")?.I ?? 0;
            Assert.Equal(3, node.Input.Count); // A, B, scales: no zero_points, g_idx or bias
            var b = initializers[node.Input[1]];
            var scales = initializers[node.Input[2]];
            long blocks = (k + blockSize - 1) / blockSize, blob = blockSize * bits / 8;
            Assert.Equal((int)TensorProto.Types.DataType.Uint8, b.DataType);
            Assert.Equal(new[] { n, blocks, blob }, b.Dims.ToArray());
            Assert.Equal((int)TensorProto.Types.DataType.Float, scales.DataType);
            Assert.Equal(new[] { n, blocks }, scales.Dims.ToArray());

            byte[] codes = b.RawData.ToByteArray();
            float[] scale = new float[n * blocks];
            Buffer.BlockCopy(scales.RawData.ToByteArray(), 0, scale, 0, scale.Length * sizeof(float));
            long zeroPoint = 1L << (int)(bits - 1), mask = (1L << (int)bits) - 1;
            var w = new float[n * k];
            for (long row = 0; row < n; row++)
                for (long block = 0; block < blocks; block++)
                    for (long i = 0; i < blockSize && block * blockSize + i < k; i++)
                    {
                        long bitPosition = block * blob * 8 + i * bits;   // one bit stream per row, blocks back to back
                        long value = (codes[row * blocks * blob + bitPosition / 8] >> (int)(bitPosition % 8)) & mask;
                        w[row * k + block * blockSize + i] = (value - zeroPoint) * scale[row * blocks + block];
                    }
            string weight = node.Input[1].EndsWith(".qweight", StringComparison.Ordinal) ? node.Input[1][..^".qweight".Length] : node.Input[1];
            result.Add(new QuantizedNode(weight, k, n, bits, blockSize, accuracy, w));
        }
        return result;
    }

    /// <summary>
    /// <paramref name="original"/> with every quantized weight replaced by what the graph computes
    /// with: packed projection groups split back into their members, and a quantized classifier
    /// stored as a separate (untied) classifier.
    /// </summary>
    public static LlamaWeights Dequantized(LlamaWeights original, ModelProto model)
    {
        var c = original.Config;
        var tensors = original.Tensors.ToDictionary(t => t.Name);
        bool classifierQuantized = false;
        foreach (var node in Nodes(model))
        {
            if (node.Weight == LlamaTensorNames.Classifier)
            {
                tensors[LlamaTensorNames.Classifier] = new TensorData(LlamaTensorNames.Classifier, [(int)node.N, (int)node.K], node.Dequantized);
                classifierQuantized = true;
                continue;
            }
            var (layer, group) = GroupOf(c, node.Weight);
            long offset = 0;
            foreach (string member in group.Members)
            {
                var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(c, member);
                string name = LlamaTensorNames.Projection(layer, member);
                tensors[name] = new TensorData(name, [outFeatures, inFeatures], node.Dequantized.AsSpan((int)offset, outFeatures * inFeatures).ToArray());
                offset += (long)outFeatures * inFeatures;
            }
            Assert.Equal(node.N * node.K, offset);
        }
        var config = classifierQuantized ? c with { SharedClassifier = false } : c;
        return new LlamaWeights(config, tensors.Values, original.Source + " (dequantized)");
    }

    static (int Layer, ProjectionGroup Group) GroupOf(LlamaConfig c, string weight)
    {
        for (int l = 0; l < c.NumLayers; l++)
            foreach (var g in ProjectionGroup.All)
                if (weight == (g.Members.Count == 1 ? LlamaTensorNames.Projection(l, g.Members[0]) : g.Module(l) + ".weight"))
                    return (l, g);
        throw new Xunit.Sdk.XunitException($"MatMulNBits weight '{weight}' is neither a projection group nor the classifier");
    }
}
