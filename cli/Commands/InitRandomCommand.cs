using System.CommandLine;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.Cli.Commands;

/// <summary>`adapters init-random`: a random-weight checkpoint of a named or custom shape.</summary>
public static class InitRandomCommand
{
    public static Command Create(CliConsole console)
    {
        var shape = new Option<string>("--shape") { Description = $"named shape ({string.Join(", ", ModelShapes.Named.Keys)}) or a JSON config file", Required = true };
        var format = new Option<string>("--format") { Description = "llama2c (.bin file) or hf (folder with config.json + model.safetensors)", DefaultValueFactory = _ => "llama2c" };
        format.AcceptOnlyFromAmong("llama2c", "hf");
        var dtype = new Option<string>("--dtype") { Description = "HF weight dtype: F32, F16 or BF16", DefaultValueFactory = _ => "F32" };
        dtype.AcceptOnlyFromAmong("F32", "F16", "BF16");
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var std = new Option<float>("--init-std") { Description = "standard deviation of weights, embeddings and biases", DefaultValueFactory = _ => RandomCheckpoint.InitStd };
        var normStd = new Option<float>("--norm-std") { Description = "standard deviation of norm gains around 1 (0: gains exactly 1)", DefaultValueFactory = _ => 0f };
        var output = new Option<string>("--out") { Description = "output file (llama2c) or folder (hf)", Required = true };
        var command = new Command("init-random", "Write a random-weight LLaMA checkpoint (for tests and benchmarks).") { shape, format, dtype, seed, std, normStd, output };
        command.SetAction(parse => console.Guard(() =>
        {
            if (parse.GetValue(format) != "hf" && parse.IsGiven(dtype))
                throw new ArgumentException($"--dtype applies to --format hf; a llama2c file is always float32");
            var config = ModelShapes.Resolve(parse.GetValue(shape)!);
            string outPath = parse.GetValue(output)!;
            console.Info($"generating {config.ParameterCount():N0} random parameters ({ModelShapes.Describe(config)})");
            var weights = RandomCheckpoint.Create(config, parse.GetValue(seed), parse.GetValue(std), parse.GetValue(normStd));
            if (parse.GetValue(format) == "hf") HfCheckpoint.Write(weights, outPath, parse.GetValue(dtype)!);
            else Llama2cCheckpoint.Write(weights, outPath);
            console.Info($"wrote {outPath}");
            return 0;
        }));
        return command;
    }
}
