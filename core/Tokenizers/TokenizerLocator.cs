using Adapters.Core.IO;
using Adapters.Core.Checkpoints;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// Finds the tokenizer that belongs to a model when the user names none: a file beside a
/// llama2.c checkpoint (tokenizer.json, tokenizer.model, tokenizer.bin, or llama2.c's tok{vocab}.bin), or inside
/// a Hugging Face folder.
/// </summary>
public static class TokenizerLocator
{
    public static string FindBeside(string modelPath, int vocabSize)
    {
        string folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        string[] candidates = [HfTokenizer.FileName, "tokenizer.model", "tokenizer.bin", $"tok{vocabSize}.bin"];
        foreach (string name in candidates)
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        throw new InvalidFileException(modelPath,
            $"no tokenizer found beside the model (looked for {string.Join(", ", candidates)} in {folder}); pass --tokenizer");
    }
}
