using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.Chat;
using Adapters.Core.Templates;

namespace Adapters.Training.Trainer;

/// <summary>Reading JSONL task data and splitting off a held-out set.</summary>
public static class TrainingData
{
    /// <summary>
    /// Reads one example per non-blank line: {"prompt", "completion"}, or TRL's conversational form
    /// {"messages": [{"role", "content"}, ...]} rendered with <paramref name="chat"/> (the model's
    /// chat template; the loss then covers the assistant turns). A bad line is refused naming file and line.
    /// </summary>
    /// <param name="lastTurnOnly">Conversations whose template renders earlier turns differently once later ones follow, so only their last assistant turn is trained.</param>
    public static IReadOnlyList<TrainingExample> Load(string path, ChatFormat? chat, out int lastTurnOnly)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: training data not found", path);
        var examples = new List<TrainingExample>();
        int lineNumber = 0;
        lastTurnOnly = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject json;
            try { json = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object"); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{lineNumber}: not a JSON object: {e.Message}"); }
            string where = $"{path}:{lineNumber}";
            if (json.ContainsKey("messages"))
            {
                if (chat is null)
                    throw new InvalidDataException($"{where}: a conversation (\"messages\"), but the model has no chat template (tokenizer_config.json with chat_template) to render it");
                var messages = ReadMessages(json["messages"], where);
                try
                {
                    examples.Add(TrainingExample.FromSegments(ChatTrainingText.Segments(chat, messages, out bool lastOnly)));
                    if (lastOnly) lastTurnOnly++;
                }
                catch (ArgumentException e) { throw new InvalidDataException($"{where}: {e.Message}"); }
                continue;
            }
            if (json["prompt"] is not JsonValue prompt || !prompt.TryGetValue(out string? promptText)
                || json["completion"] is not JsonValue completion || !completion.TryGetValue(out string? completionText))
                throw new InvalidDataException($"{where}: needs string fields \"prompt\" and \"completion\", or \"messages\"");
            if (completionText.Length == 0)
                throw new InvalidDataException($"{where}: empty completion (there would be nothing to learn)");
            examples.Add(new TrainingExample(promptText, completionText));
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples");
        return examples;
    }

    /// <summary>Prompt/completion data only (no chat template at hand).</summary>
    public static IReadOnlyList<TrainingExample> Load(string path) => Load(path, chat: null, out _);

    static List<ChatMessage> ReadMessages(JsonNode? node, string where)
    {
        if (node is not JsonArray array || array.Count == 0) throw new InvalidDataException($"{where}: \"messages\" must be a non-empty array");
        var messages = new List<ChatMessage>();
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject message
                || message["role"] is not JsonValue role || !role.TryGetValue(out string? roleName)
                || message["content"] is not JsonValue content || !content.TryGetValue(out string? text))
                throw new InvalidDataException($"{where}: messages[{i}] needs string fields \"role\" and \"content\"");
            if (roleName is not ("system" or "user" or "assistant"))
                throw new InvalidDataException($"{where}: messages[{i}].role must be system, user or assistant, got '{roleName}'");
            messages.Add(new ChatMessage(roleName, text));
        }
        return messages;
    }

    /// <summary>
    /// A seeded shuffle split: round(fraction · n) examples (at least one when the fraction is
    /// positive, and at least one left to train on) go to the held-out set.
    /// </summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) Split(
        IReadOnlyList<TrainingExample> examples, double evalFraction, int seed)
    {
        if (!(evalFraction >= 0 && evalFraction < 1)) throw new ArgumentException($"eval fraction must be in [0, 1), got {evalFraction}");
        if (evalFraction == 0) return (examples, []);
        if (examples.Count < 2) throw new ArgumentException($"cannot hold out examples from a set of {examples.Count}");
        int evalCount = Math.Clamp((int)Math.Round(evalFraction * examples.Count), 1, examples.Count - 1);
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        var eval = order.Take(evalCount).Order().Select(i => examples[i]).ToList();
        var train = order.Skip(evalCount).Order().Select(i => examples[i]).ToList();
        return (train, eval);
    }
}
