using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        var output = new Option<string>("--out") { Description = "output file (llama2c) or folder (hf)", Required = true };
        var command = new Command("init-random", "Write a random-weight LLaMA checkpoint (for tests and benchmarks).") { shape, format, dtype, seed, output };
        command.SetAction(parse => console.Guard(() =>
        {
            var config = ResolveShape(parse.GetValue(shape)!);
            string outPath = parse.GetValue(output)!;
            console.Info($"generating {config.ParameterCount():N0} random parameters ({DescribeShape(config)})");
            var weights = RandomCheckpoint.Create(config, parse.GetValue(seed));
            if (parse.GetValue(format) == "hf") HfCheckpoint.Write(weights, outPath, parse.GetValue(dtype)!);
            else Llama2cCheckpoint.Write(weights, outPath);
            console.Info($"wrote {outPath}");
            return 0;
        }));
        return command;
    }

    /// <summary>A named shape, or a JSON file holding a Hugging Face config.json or a <see cref="LlamaConfig"/>.</summary>
    public static LlamaConfig ResolveShape(string shape)
    {
        if (!File.Exists(shape)) return ModelShapes.Get(shape);
        try
        {
            if (JsonNode.Parse(File.ReadAllText(shape)) is JsonObject json && HfModelConfig.LooksLikeHfConfig(json))
                return HfModelConfig.ReadFile(shape);
            return (JsonSerializer.Deserialize<LlamaConfig>(File.ReadAllText(shape))
                ?? throw new ArgumentException($"{shape}: empty model config")).Validate();
        }
        catch (JsonException e) { throw new ArgumentException($"{shape}: not a valid model config: {e.Message}"); }
    }

    public static string DescribeShape(LlamaConfig c) =>
        $"dim {c.Dim}, hidden {c.HiddenDim}, {c.NumLayers} layers, {c.NumHeads} heads, {c.NumKvHeads} kv heads, vocab {c.VocabSize}, context {c.MaxSeqLen}";
}
