using Adapters.Core.Tokenizers;

namespace Adapters.Training.Trainer;

/// <summary>BOS + prompt + completion + EOS as token ids; positions below <see cref="PromptLength"/> are the prompt.</summary>
public sealed record TokenizedExample(int[] Tokens, int PromptLength)
{
    /// <summary>
    /// Encodes prompt and completion together so the completion's first token is the one the
    /// tokenizer would produce in context; when BPE merges across the boundary (the joint
    /// encoding does not start with the prompt's own tokens), the prompt's tokens are kept
    /// and the completion is encoded on its own, so generation from the prompt matches training.
    /// </summary>
    public static TokenizedExample Encode(ITokenizer tokenizer, TrainingExample example)
    {
        var prompt = tokenizer.Encode(example.Prompt, addBos: true);
        var joint = tokenizer.Encode(example.Prompt + example.Completion, addBos: true, addEos: true);
        bool clean = joint.Count > prompt.Count && prompt.SequenceEqual(joint.Take(prompt.Count));
        var tokens = clean ? joint.ToArray()
            : prompt.Concat(tokenizer.Encode(example.Completion, addBos: false, addEos: true)).ToArray();
        return new TokenizedExample(tokens, prompt.Count);
    }

    public int CompletionLength => Tokens.Length - PromptLength;
}
