using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Adapters.Core.Chat;
using Adapters.Core.Tokenizers;

namespace Adapters.Cli.Commands;

/// <summary>`adapters tokenize`: one JSON object {"ids": [...], "text": "..."} on stdout, for a text or a conversation rendered with the chat template.</summary>
public static class TokenizeCommand
{
    static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(CliConsole console)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json, tokenizer.model, a llama2.c tokenizer .bin, or a folder holding one", Required = true };
        var text = new Option<string?>("--text") { Description = "text to encode" };
        var chat = new Option<string?>("--chat") { Description = "JSON file of messages [{\"role\", \"content\"}], rendered with the folder's chat template and the generation prompt" };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "with --text: add no BOS/EOS or other special tokens around the text" };
        var command = new Command("tokenize", "Print the token ids of a text or of a chat conversation.") { tokenizer, text, chat, noSpecial };
        command.SetAction(parse => console.Guard(() =>
        {
            string path = parse.GetValue(tokenizer)!;
            if ((parse.GetValue(text) is null) == (parse.GetValue(chat) is null)) throw new ArgumentException("give exactly one of --text and --chat");
            if (parse.GetValue(chat) is not null && parse.IsGiven(noSpecial))
                throw new ArgumentException("--no-special-tokens applies only with --text (--chat's special tokens are the chat template's)");
            var tok = TokenizerLoader.Load(path);
            var result = parse.GetValue(chat) is { } messages
                ? ChatTokenization.Chat(tok, Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!, messages)
                : ChatTokenization.Text(tok, parse.GetValue(text)!, specialTokens: !parse.GetValue(noSpecial));
            console.Out.WriteLine(JsonSerializer.Serialize(result, Json));
            return 0;
        }));
        return command;
    }
}
