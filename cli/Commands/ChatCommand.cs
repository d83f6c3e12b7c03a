using System.CommandLine;
using Adapters.Core.Generation;
using Adapters.Runtime;
using Adapters.Runtime.Chat;
using Microsoft.Extensions.AI;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters chat`: an interactive terminal chat over the in-process <see cref="AdaptersChatClient"/>
/// (streamed answers, history, /reset, /adapter NAME, Ctrl+D to leave). Answers go to stdout; the
/// prompt marker and notices to stderr, so a piped session's stdout holds only the model's words.
/// </summary>
public static class ChatCommand
{
    const string Help = "commands: /reset (forget the conversation), /adapter [NAME] (switch; no name = base model), /models, /help; Ctrl+D leaves";

    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model("exported ONNX folder with a chat template (tokenizer_config.json)");
        var adapter = new Option<string?>("--adapter") { Description = "exported adapter to chat with (default: the base model)" };
        var system = new Option<string?>("--system") { Description = "system prompt" };
        var maxNew = new Option<int?>("--max-new-tokens") { Description = "tokens per answer at most (default: the rest of the context)" };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.7f };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => 1.0f };
        var seed = new Option<int?>("--seed") { Description = "random seed for reproducible sampling" };
        var threads = CommonOptions.Threads();
        var command = new Command("chat", "Chat with an exported model (and its adapters) in the terminal.")
        {
            model, adapter, system, maxNew, temperature, topP, seed, threads,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            // Checked before the model loads, not at the first answer.
            new SamplingOptions { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP) }.Validate();
            if (parse.GetValue(maxNew) is int max && max < 1) throw new ArgumentException($"--max-new-tokens must be >= 1, got {max}");
            using var client = AdaptersChatClient.Open(parse.GetValue(model)!, new AdaptersChatClientOptions
            {
                MaxBatch = 1,
                Threads = parse.GetValue(threads) ?? 0,
                Log = console.Info,
            });
            if (client.Backend.Chat is null)
                throw new ArgumentException($"{parse.GetValue(model)}: the model has no chat template (tokenizer_config.json with a chat_template); use `adapters generate`");
            var options = new ChatOptions
            {
                MaxOutputTokens = parse.GetValue(maxNew),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
            };
            var conversation = new ChatConversation(client, options, parse.GetValue(system));
            SwitchModel(conversation, client, parse.GetValue(adapter));
            return Loop(conversation, client, console);
        }));
        return command;
    }

    static int Loop(ChatConversation conversation, AdaptersChatClient client, CliConsole console)
    {
        console.Info($"chat: {Describe(conversation, client)}. {Help}");
        while (true)
        {
            console.Error.Write(">>> ");
            string? line = console.In.ReadLine();
            if (line is null) { console.Error.WriteLine(); return 0; } // Ctrl+D
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                Command(line, conversation, client, console);
                continue;
            }
            foreach (string piece in conversation.SendAsync(line).ToBlockingEnumerable())
            {
                console.Out.Write(piece);
                console.Out.Flush();
            }
            console.Out.WriteLine();
        }
    }

    static void Command(string line, ChatConversation conversation, AdaptersChatClient client, CliConsole console)
    {
        string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        try
        {
            switch (words[0])
            {
                case "/reset":
                    conversation.Reset();
                    console.Info("chat: conversation forgotten");
                    break;
                case "/adapter":
                    SwitchModel(conversation, client, words.Length > 1 ? words[1] : null);
                    console.Info($"chat: {Describe(conversation, client)}");
                    break;
                case "/models":
                    console.Info("chat: " + string.Join(", ", client.Backend.Models.Select(m => m.Id)));
                    break;
                case "/help":
                    console.Info(Help);
                    break;
                default:
                    console.Info($"chat: unknown command {words[0]}; {Help}");
                    break;
            }
        }
        catch (ArgumentException e) { console.Info($"error: {e.Message}"); }
    }

    static void SwitchModel(ChatConversation conversation, AdaptersChatClient client, string? adapter)
    {
        if (adapter is not null && adapter != client.Backend.BaseModelName && !client.Backend.Serves(adapter))
            throw new ArgumentException($"no adapter named '{adapter}'; this folder has: {string.Join(", ", client.Backend.Models.Skip(1).Select(m => m.Id).DefaultIfEmpty("none"))}");
        conversation.ModelId = adapter is null || adapter == client.Backend.BaseModelName ? null : adapter;
    }

    static string Describe(ChatConversation conversation, AdaptersChatClient client) =>
        conversation.ModelId is { } name ? $"adapter {name} on {client.Backend.BaseModelName}" : $"base model {client.Backend.BaseModelName}";
}
