using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>Where and how the figures were taken: they mean little without it.</summary>
public sealed record MachineInfo
{
    [JsonPropertyName("os")] public string Os { get; init; } = RuntimeInformation.OSDescription;
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = RuntimeInformation.ProcessArchitecture.ToString();
    [JsonPropertyName("logical_cores")] public int LogicalCores { get; init; } = Environment.ProcessorCount;
    [JsonPropertyName("dotnet")] public string DotNet { get; init; } = RuntimeInformation.FrameworkDescription;
    [JsonPropertyName("onnxruntime_version")] public required string OnnxRuntimeVersion { get; init; }
    [JsonPropertyName("onnxruntime_genai_version")] public required string GenAiVersion { get; init; }
    /// <summary>Execution provider of our sessions: "Cpu" or "Cuda".</summary>
    [JsonPropertyName("provider")] public required string Provider { get; init; }
    /// <summary>The LLamaSharp package version (llama.cpp inside it), when llama.cpp was timed.</summary>
    [JsonPropertyName("llamasharp_version")] public string? LlamaSharpVersion { get; init; }
    /// <summary>GenAI's provider: the CPU package is the only one served, so always CPU here.</summary>
    [JsonPropertyName("genai_provider")] public string GenAiProvider { get; init; } = "Cpu";
    [JsonPropertyName("intra_op_threads")] public int IntraOpThreads { get; init; }
    /// <summary>/proc/loadavg 1-minute load before and after the run: other work on the machine skews absolute numbers (ratios less so).</summary>
    [JsonPropertyName("load_average_start")] public double? LoadAverageStart { get; init; }
    [JsonPropertyName("load_average_end")] public double? LoadAverageEnd { get; init; }

    /// <summary>The 1-minute load average on Linux; null elsewhere.</summary>
    public static double? LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }
}
