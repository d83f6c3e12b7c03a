using System.CommandLine;
using Adapters.Bench.Profiling;

namespace Adapters.Cli.Commands;

/// <summary>`adapters profile`: ONNX Runtime's profiler on a batch-1 decode of an exported folder, summed by op type (<see cref="DecodeProfiler"/>).</summary>
public static class ProfileCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model("exported ONNX folder");
        var adapter = new Option<string?>("--adapter") { Description = "one of the folder's exported adapters (swappable or batched exports)" };
        var steps = new Option<int>("--steps") { Description = "decode steps profiled after the prefill", DefaultValueFactory = _ => 64 };
        var prompt = new Option<int>("--prompt-tokens") { Description = "prompt length", DefaultValueFactory = _ => 16 };
        var output = new Option<string>("--out") { Description = "folder of the trace file (ort_profile_*.json) and profile.md", DefaultValueFactory = _ => "out/profile" };
        var threads = CommonOptions.Threads();
        var warmup = new Option<int>("--warmup") { Description = "whole generations (prefill + steps) each engine runs before the profiled one, left out of the figures", DefaultValueFactory = _ => 1 };
        var genai = new Option<bool>("--genai") { Description = "also profile ONNX Runtime GenAI on the same folder (no adapter) and put its figures beside ours" };
        var command = new Command("profile", "Where a decode step's time goes: ONNX Runtime's profile of an exported folder, by operator type, and the work outside the run.") { model, adapter, steps, prompt, output, threads, warmup, genai };
        command.SetAction(parse => console.Guard(() =>
        {
            string outDir = parse.GetValue(output)!;
            int threadCount = parse.GetValue(threads) ?? 0;
            var results = DecodeProfiler.Run(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(prompt), parse.GetValue(steps),
                threadCount, parse.GetValue(warmup), parse.GetValue(genai), outDir, console.Info);
            var markdown = new System.Text.StringBuilder(string.Join(Environment.NewLine, results.Select(r => r.Engine + ": " + r.Summary.ToMarkdown())));
            markdown.AppendLine().AppendLine("Outside ONNX Runtime's run (a step's wall time minus the trace's model_run time, per step):").AppendLine()
                .AppendLine(Adapters.Bench.Profiling.HostWorkSummary.MarkdownHeader);
            foreach (var r in results) markdown.AppendLine(r.Host.ToMarkdownRow(r.Engine));
            Core.IO.AtomicFile.WriteAllText(Path.Combine(outDir, "profile.md"), markdown.ToString());
            console.Out.Write(markdown.ToString());
            return 0;
        }));
        return command;
    }
}
