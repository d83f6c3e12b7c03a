using System.CommandLine;

namespace Adapters.Cli.Commands;

/// <summary>Options several commands share, defined once so they read the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<string> Model(string description = "checkpoint file (.bin), Hugging Face folder, or exported ONNX folder") =>
        new("--model") { Description = description, Required = true };

    public static Option<string?> Tokenizer() =>
        new("--tokenizer") { Description = "tokenizer.json (or its folder), tokenizer.model or llama2.c tokenizer .bin (default: beside the model, or recorded in the ONNX folder)" };

    public static Option<string> Engine()
    {
        var option = new Option<string>("--engine") { Description = "torch, onnx, or auto (onnx for an exported folder)", DefaultValueFactory = _ => ModelOpener.Auto };
        option.AcceptOnlyFromAmong(ModelOpener.Auto, ModelOpener.Torch, ModelOpener.Onnx);
        return option;
    }

    /// <summary>--threads N (N >= 0; unset or 0: all cores), refused by name when negative, for every command that has it.</summary>
    public static Option<int?> Threads()
    {
        var option = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0 and var n) result.AddError($"--threads must be >= 0 (0 or unset: all cores), got {n}");
        });
        return option;
    }
}
