using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// The one entry point that turns a path a user gives as an adapter into its weights. Every
/// stage (CLI, host, export, training engine) reads adapter folders through here, so they all
/// accept the same folders with the same precedence. First match wins:
/// <list type="number">
/// <item><c>manifest.json</c> in the folder: ours (<see cref="AdapterFolder"/>);</item>
/// <item><c>adapter_config.json</c> in the folder: a Hugging Face PEFT LoRA folder (<see cref="PeftLoraFormat"/>);</item>
/// <item><c>adapter/</c> inside the folder, holding either of the above: a <c>train</c> run folder.</item>
/// </list>
/// A folder holding both manifest.json and adapter_config.json (what <c>train --peft</c> never
/// writes into one folder, but a user may) is read as ours: our manifest carries the base-model
/// fingerprint, PEFT's config does not.
/// </summary>
public static class AdapterSourceReader
{
    /// <summary>The subfolder of a <c>train</c> run that holds its final adapter.</summary>
    public const string RunAdapterSubfolder = "adapter";

    /// <summary>Finds the adapter <paramref name="path"/> names, by the precedence above.</summary>
    public static AdapterSourceLocation Locate(string path)
    {
        if (!Directory.Exists(path)) throw new InvalidFileException(path, "adapter folder not found");
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        if (KindOf(full) is { } kind) return new AdapterSourceLocation(full, kind, Path.GetFileName(full));
        string inRun = Path.Combine(full, RunAdapterSubfolder);
        if (Directory.Exists(inRun) && KindOf(inRun) is { } runKind) return new AdapterSourceLocation(inRun, runKind, Path.GetFileName(full));
        throw new InvalidFileException(path,
            $"not an adapter folder: no {AdapterManifest.FileName}, {PeftLoraFormat.ConfigFile}, or {RunAdapterSubfolder}/ of a training run holding one");
    }

    /// <summary>
    /// Reads and checks the adapter <paramref name="path"/> names for a model of shape
    /// <paramref name="model"/> identified by <paramref name="baseModel"/>: ours must record that
    /// base model; a PEFT folder records none, so it is taken to be for this base (its shapes are checked).
    /// </summary>
    public static AdapterFolder Read(string path, LlamaConfig model, ModelFingerprint baseModel) =>
        Read(Locate(path), model, baseModel);

    public static AdapterFolder Read(AdapterSourceLocation location, LlamaConfig model, ModelFingerprint baseModel) => location.Kind switch
    {
        AdapterSourceKind.Manifest => AdapterFolder.Read(location.Folder, model, baseModel),
        _ => PeftLoraFormat.Read(location.Folder, model, baseModel),
    };

    static AdapterSourceKind? KindOf(string folder) =>
        File.Exists(Path.Combine(folder, AdapterManifest.FileName)) ? AdapterSourceKind.Manifest
        : File.Exists(Path.Combine(folder, PeftLoraFormat.ConfigFile)) ? AdapterSourceKind.Peft
        : null;
}
