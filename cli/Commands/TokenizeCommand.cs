using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Adapters.Core.Tokenizers;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters tokenize --tokenizer PATH --text TEXT [--no-special-tokens]`: prints one JSON object
/// {"ids": [...], "text": "..."} on stdout, the ids exactly as Hugging Face would give them.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create(CliConsole console)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json or its folder, tokenizer.model, or llama2.c tokenizer .bin", Required = true };
        var text = new Option<string?>("--text") { Description = "the text to encode" };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "do not add the special tokens the tokenizer puts around a text (BOS ...)" };
        var command = new Command("tokenize", "Encode a text with a tokenizer and print its ids as JSON.") { tokenizer, text, noSpecial };
        command.SetAction(parse => console.Guard(() =>
        {
            var tok = TokenizerLoader.Load(parse.GetValue(tokenizer)!);
            // Each input form yields the text to encode; a chat form (rendered template) slots in here.
            string input = parse.GetValue(text) ?? throw new ArgumentException("--text is required");
            var ids = tok.Encode(input, addBos: !parse.GetValue(noSpecial));
            console.Out.WriteLine(ToJson(ids, input));
            return 0;
        }));
        return command;
    }

    /// <summary>{"ids": [...], "text": "..."} on one line; non-ASCII text kept readable (still valid JSON).</summary>
    public static string ToJson(IReadOnlyList<int> ids, string text)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("ids");
            foreach (int id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteString("text", text);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
