#if !ONNXRUNTIME_GPU
using System.Text.Json.Nodes;
using Adapters.Core.Exported;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Bench.Profiling;

/// <summary>
/// ONNX Runtime GenAI's decode of the same folder, its profiler switched on by a config overlay
/// (the folder is not touched). A step is one GenerateNextToken: its forward and its own greedy search.
/// </summary>
internal sealed class GenAiProfiledDecode : IProfiledDecode
{
    readonly string _outputFolder;
    readonly HashSet<string> _earlierTraces;
    readonly Config _config;
    readonly Model _model;
    readonly GeneratorParams _parameters;
    Generator? _generator;
    bool _disposed;

    public GenAiProfiledDecode(ExportedModel exported, int promptTokens, int steps, int threads, string outputFolder)
    {
        _outputFolder = outputFolder;
        _earlierTraces = Directory.GetFiles(outputFolder, "genai_profile*.json").ToHashSet();
        _config = new Config(exported.Folder);
        var sessionOptions = new JsonObject { ["enable_profiling"] = Path.Combine(Path.GetFullPath(outputFolder), "genai_profile") };
        if (threads > 0) sessionOptions["intra_op_num_threads"] = threads;
        _config.Overlay(new JsonObject { ["model"] = new JsonObject { ["decoder"] = new JsonObject { ["session_options"] = sessionOptions } } }.ToJsonString());
        _model = new Model(_config);
        _parameters = new GeneratorParams(_model);
        int length = Math.Min(exported.Config.MaxSeqLen, promptTokens + 1 + steps);
        GenAiSearch.FixedLengthGreedy(_parameters, length);
    }

    public string Engine => "GenAI";

    /// <summary>AppendTokens runs the prefill; the first GenerateNextToken only samples from its logits (no run).</summary>
    public void Start(int[] prompt)
    {
        _generator?.Dispose();
        _generator = new Generator(_model, _parameters);
        _generator.AppendTokens(prompt);
        _generator.GenerateNextToken();
    }

    public bool CanStep => _generator is { } g && !g.IsDone();

    public void Step() => _generator!.GenerateNextToken();

    /// <summary>GenAI writes its trace when its session goes, so this disposes the model.</summary>
    public string EndProfiling()
    {
        Dispose();
        return Directory.GetFiles(_outputFolder, "genai_profile*.json").Except(_earlierTraces).SingleOrDefault()
            ?? throw new InvalidOperationException($"GenAI wrote no profile under {_outputFolder}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _generator?.Dispose();
        _parameters.Dispose();
        _model.Dispose();
        _config.Dispose();
    }
}
#endif
