using System.CommandLine;
using Adapters.Cli.Commands;

namespace Adapters.Cli;

/// <summary>
/// The `adapters` command. Thin by design: parse options, call one stage, print. Runs in-process
/// with injectable writers so tests can check exactly what a user would see on stdout.
/// </summary>
public static class CliApp
{
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null, TextReader? input = null)
    {
        var console = new CliConsole(output ?? Console.Out, error ?? Console.Error, input);
        var root = new RootCommand("Train parameter-efficient adapters for LLaMA models, export them to ONNX, and serve them.")
        {
            GenerateCommand.Create(console),
            ExportCommand.Create(console),
            InitRandomCommand.Create(console),
            TrainCommand.Create(console),
            BenchTrainCommand.Create(console),
            MetaTrainCommand.Create(console),
            CompressCommand.Create(console),
            PipelineCommand.Create(console),
            ServeCommand.Create(console),
            RouterCommand.Create(console),
            BenchCommand.Create(console),
            QuantEvalCommand.Create(console),
            ProfileCommand.Create(console),
            BenchServeCommand.Create(console),
            ChatCommand.Create(console),
            TokenizeCommand.Create(console),
        };
        var parse = root.Parse(args);
        // README's contract for bad input: one "error:" line on stderr, nothing on stdout (System.CommandLine
        // would print its messages and the whole help on stdout).
        if (parse.Errors.Count > 0)
        {
            console.Error.WriteLine("error: " + string.Join("; ", parse.Errors.Select(e => CliParseErrors.Plain(e.Message))));
            return CliConsole.Failure;
        }
        var config = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        return parse.Invoke(config);
    }
}
