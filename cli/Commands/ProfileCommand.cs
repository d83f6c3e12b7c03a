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
        var command = new Command("profile", "Where a decode step's time goes: ONNX Runtime's profile of an exported folder, by operator type.") { model, adapter, steps, prompt, output, threads };
        command.SetAction(parse => console.Guard(() =>
        {
            string outDir = parse.GetValue(output)!;
            var (summary, _) = DecodeProfiler.Run(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(prompt), parse.GetValue(steps),
                parse.GetValue(threads) ?? 0, outDir, console.Info);
            string markdown = summary.ToMarkdown();
            Core.IO.AtomicFile.WriteAllText(Path.Combine(outDir, "profile.md"), markdown);
            console.Out.Write(markdown);
            return 0;
        }));
        return command;
    }
}
