using Adapters.Core.IO;
using Adapters.Core.Checkpoints;

namespace Adapters.Core.Adapters;

/// <summary>
/// Turns what a user passes as an adapter into the folder that holds it: an adapter folder
/// (manifest.json), a Hugging Face PEFT folder (adapter_config.json), or a training run folder
/// whose final adapter is in adapter/.
/// </summary>
public static class AdapterLocator
{
    public const string RunAdapterSubfolder = "adapter";

    public static string Resolve(string path)
    {
        if (!Directory.Exists(path)) throw new InvalidFileException(path, "adapter folder not found");
        if (IsAdapterFolder(path)) return path;
        string inRun = Path.Combine(path, RunAdapterSubfolder);
        if (Directory.Exists(inRun) && IsAdapterFolder(inRun)) return inRun;
        throw new InvalidFileException(path,
            $"not an adapter folder: no {AdapterManifest.FileName}, {PeftLoraFormat.ConfigFile}, or {RunAdapterSubfolder}/{AdapterManifest.FileName} of a training run");
    }

    static bool IsAdapterFolder(string folder) =>
        File.Exists(Path.Combine(folder, AdapterManifest.FileName)) || PeftLoraFormat.IsPeftFolder(folder);
}
