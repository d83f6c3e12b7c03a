using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>Loads any supported base checkpoint: a llama2.c .bin file or a Hugging Face folder.</summary>
public static class CheckpointLoader
{
    public static LlamaWeights Load(string path)
    {
        if (Directory.Exists(path))
        {
            if (HfCheckpoint.IsHfFolder(path)) return HfCheckpoint.Read(path);
            throw new InvalidFileException(path, "folder has no config.json; expected a Hugging Face LLaMA folder (an exported ONNX folder needs --engine onnx)");
        }
        if (!File.Exists(path)) throw new InvalidFileException(path, "no such file or folder");
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return HfCheckpoint.Read(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return Llama2cCheckpoint.Read(path);
    }
}
