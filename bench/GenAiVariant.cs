using System.Diagnostics;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Bench;

/// <summary>
/// The peer: ONNX Runtime GenAI on one of our exported folders, optionally with one of our
/// .onnx_adapter files active. Owns its GenAI model and adapters.
/// </summary>
public sealed class GenAiVariant : IBenchVariant
{
    readonly Model _model;
    readonly Microsoft.ML.OnnxRuntimeGenAI.Adapters? _adapters;
    readonly string? _adapterName;

    public GenAiVariant(string name, string kind, string folder, string? adapterFile = null, string? adapterName = null, int loraRank = 0)
    {
        Name = name;
        Kind = kind;
        LoraRank = loraRank;
        _model = new Model(folder);
        if (adapterFile is not null)
        {
            _adapterName = adapterName ?? Path.GetFileNameWithoutExtension(adapterFile);
            _adapters = new Microsoft.ML.OnnxRuntimeGenAI.Adapters(_model);
            _adapters.LoadAdapter(adapterFile, _adapterName);
        }
    }

    public string Name { get; }
    public string Engine => BenchEngines.GenAi;
    public string Kind { get; }
    public int LoraRank { get; }
    public int DistinctAdapters => 0;

    public bool Supports(int batchSize) => true;

    public GenerationTiming Run(int batchSize, IReadOnlyList<int> prompt, int steps)
    {
        // prompt + first token + one token per decode step.
        int length = prompt.Count + 1 + steps;
        using var parameters = new GeneratorParams(_model);
        GenAiSearch.FixedLengthGreedy(parameters, length);
        parameters.SetSearchOption("batch_size", batchSize);
        using var generator = new Generator(_model, parameters);
        if (_adapters is not null) generator.SetActiveAdapter(_adapters, _adapterName!);
        var tokens = new int[batchSize * prompt.Count];
        for (int r = 0; r < batchSize; r++)
            for (int i = 0; i < prompt.Count; i++) tokens[r * prompt.Count + i] = prompt[i];
        var stepMs = new List<double>(steps);

        // AppendTokens runs the prefill; the first GenerateNextToken samples from its logits.
        long start = Stopwatch.GetTimestamp();
        generator.AppendTokens(tokens);
        generator.GenerateNextToken();
        double ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        for (int s = 0; s < steps && !generator.IsDone(); s++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            generator.GenerateNextToken();
            stepMs.Add(Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds);
        }
        return new GenerationTiming(ttft, stepMs);
    }

    public void Dispose()
    {
        _adapters?.Dispose();
        _model.Dispose();
    }
}
