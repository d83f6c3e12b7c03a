using System.CommandLine;
using Adapters.Core.Generation;
using Adapters.Runtime;

namespace Adapters.Cli.Commands;

/// <summary>`adapters generate`: prompt in, prompt + continuation out (stdout carries only the text).</summary>
public static class GenerateCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var engine = CommonOptions.Engine();
        var threads = CommonOptions.Threads();
        var prompt = new Option<string>("--prompt") { Description = "prompt text (BOS is prepended)", DefaultValueFactory = _ => "" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 1.0f };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => 1.0f };
        var seed = new Option<int?>("--seed") { Description = "random seed for reproducible sampling" };
        var adapter = new Option<string?>("--adapter") { Description = "adapter folder (ours or PEFT LoRA) or training run folder; torch engine" };
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "onnx engine: auto (CUDA when present), cpu or cuda", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var command = new Command("generate", "Generate text with the TorchSharp or ONNX Runtime engine.")
        {
            model, tokenizer, engine, prompt, maxNew, temperature, topP, seed, threads, adapter, provider,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            string modelPath = parse.GetValue(model)!;
            string engineName = ModelOpener.ResolveEngine(parse.GetValue(engine)!, modelPath);
            var sampling = new SamplingOptions { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed) }.Validate();
            using var decoder = ModelOpener.Open(engineName, modelPath, parse.GetValue(threads), console, parse.GetValue(adapter), parse.GetValue(provider));
            var tok = ModelOpener.OpenTokenizer(parse.GetValue(tokenizer), engineName, modelPath, decoder.Config.VocabSize);
            string text = TextGenerator.GenerateText(decoder, tok, parse.GetValue(prompt)!, parse.GetValue(maxNew), sampling);
            console.Out.WriteLine(text);
            return 0;
        }));
        return command;
    }
}
