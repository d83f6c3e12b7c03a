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
        var genai = new Option<bool>("--genai") { Description = "also profile ONNX Runtime GenAI on the same folder (no adapter) and put its figures beside ours" };
        var command = new Command("profile", "Where a decode step's time goes: ONNX Runtime's profile of an exported folder, by operator type, and the work outside the run.") { model, adapter, steps, prompt, output, threads, genai };
        command.SetAction(parse => console.Guard(() =>
        {
            string outDir = parse.GetValue(output)!;
            int threadCount = parse.GetValue(threads) ?? 0;
            if (parse.GetValue(genai) && parse.GetValue(adapter) is not null)
                throw new ArgumentException("--genai profiles the folder's base model; leave out --adapter");
            var ours = DecodeProfiler.Run(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(prompt), parse.GetValue(steps),
                threadCount, outDir, console.Info);
            var markdown = new System.Text.StringBuilder("ours: " + ours.Summary.ToMarkdown());
            var hosts = new List<(string Engine, Adapters.Bench.Profiling.HostWorkSummary Host)> { ("ours", ours.Host) };
            if (parse.GetValue(genai))
            {
#if ONNXRUNTIME_GPU
                throw new ArgumentException("ONNX Runtime GenAI is not part of this build (OnnxRuntimeFlavor=Gpu); profile without --genai");
#else
                var peer = DecodeProfiler.RunGenAi(parse.GetValue(model)!, parse.GetValue(prompt), parse.GetValue(steps), threadCount, outDir, console.Info);
                markdown.AppendLine().Append("GenAI: " + peer.Summary.ToMarkdown());
                hosts.Add(("GenAI", peer.Host));
#endif
            }
            markdown.AppendLine().AppendLine("Outside ONNX Runtime's run (a step's wall time minus the trace's model_run time, per step):").AppendLine()
                .AppendLine(Adapters.Bench.Profiling.HostWorkSummary.MarkdownHeader);
            foreach (var (engine, host) in hosts) markdown.AppendLine(host.ToMarkdownRow(engine));
            Core.IO.AtomicFile.WriteAllText(Path.Combine(outDir, "profile.md"), markdown.ToString());
            console.Out.Write(markdown.ToString());
            return 0;
        }));
        return command;
    }
}
