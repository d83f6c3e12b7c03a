using Adapters.Core.Generation;
using Adapters.Export.Quantization;
using Adapters.TestSupport;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests;

/// <summary>ONNX Runtime GenAI runs an int4 export (MatMulNBits) as it is and generates what our runtime generates (CPU flavour only, like the other GenAI tests).</summary>
public sealed class QuantizedGenAiTests
{
    [Fact]
    public void GenAi_generates_from_an_int4_folder_what_our_runtime_generates()
    {
        using var export = new TempExport(QuantizedExportTests.Stories, QuantizedExportTests.Quantized(4, QuantizationOptions.DefaultAccuracyLevel, classifierBits: 8) with { TokenizerPath = SharedModels.Tok512 });
        using var ours = export.Load();
        var expected = TextGenerator.GenerateTokens(ours, [1], 64, SamplingOptions.Greedy).ToList();

        using var model = new Model(export.Folder);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", 65);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens([1]);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(1).ToList();

        Assert.True(genai.Count >= 60, $"GenAI stopped after {genai.Count} tokens");
        Assert.Equal(expected.Take(genai.Count), genai);
    }
}
