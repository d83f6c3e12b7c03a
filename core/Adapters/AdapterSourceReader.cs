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
        using var folder = UntrustedFolder.Open(path, FileConfinement.Anywhere);
        var kind = Find(folder, out var run);
        using (run) return new AdapterSourceLocation((run ?? folder).Path, kind, folder.Name);
    }

    /// <summary>
    /// Reads and checks the adapter <paramref name="path"/> names for a model of shape
    /// <paramref name="model"/> identified by <paramref name="baseModel"/>: ours must record that
    /// base model; a PEFT folder records none, so it is taken to be for this base (its shapes are checked).
    /// </summary>
    public static AdapterFolder Read(string path, LlamaConfig model, ModelFingerprint baseModel) =>
        Read(path, model, baseModel, FileConfinement.Anywhere);

    /// <summary>
    /// As <see cref="Read(string, LlamaConfig, ModelFingerprint)"/>, for a path someone else chose: the
    /// folder and every file are opened once, as regular files inside <paramref name="confinement"/>
    /// (checked on the open handles), and refused beyond their size limits; reading stops on <paramref name="cancel"/>.
    /// </summary>
    public static AdapterFolder Read(string path, LlamaConfig model, ModelFingerprint baseModel, FileConfinement confinement, CancellationToken cancel = default)
    {
        using var folder = UntrustedFolder.Open(path, confinement);
        var kind = Find(folder, out var run);
        using (run) return Read(run ?? folder, kind, model, baseModel, cancel);
    }

    public static AdapterFolder Read(AdapterSourceLocation location, LlamaConfig model, ModelFingerprint baseModel)
    {
        using var folder = UntrustedFolder.Open(location.Folder, FileConfinement.Anywhere);
        return Read(folder, location.Kind, model, baseModel, CancellationToken.None);
    }

    static AdapterFolder Read(UntrustedFolder folder, AdapterSourceKind kind, LlamaConfig model, ModelFingerprint baseModel, CancellationToken cancel) => kind switch
    {
        AdapterSourceKind.Manifest => AdapterFolder.Read(folder, model, baseModel, cancel),
        _ => PeftLoraFormat.Read(folder, model, baseModel, cancel),
    };

    /// <summary>The layout of <paramref name="folder"/>, or of its adapter/ (then opened as <paramref name="run"/>, which the caller disposes).</summary>
    static AdapterSourceKind Find(UntrustedFolder folder, out UntrustedFolder? run)
    {
        run = null;
        if (KindOf(folder) is { } direct) return direct;
        if (folder.HasFolder(RunAdapterSubfolder))
        {
            var inRun = folder.OpenFolder(RunAdapterSubfolder);
            if (KindOf(inRun) is { } runKind)
            {
                run = inRun;
                return runKind;
            }
            inRun.Dispose();
        }
        throw new InvalidFileException(folder.Path,
            $"not an adapter folder: no {AdapterManifest.FileName}, {PeftLoraFormat.ConfigFile}, or {RunAdapterSubfolder}/ of a training run holding one");
    }

    static AdapterSourceKind? KindOf(UntrustedFolder folder) =>
        folder.HasFile(AdapterManifest.FileName) ? AdapterSourceKind.Manifest
        : folder.HasFile(PeftLoraFormat.ConfigFile) ? AdapterSourceKind.Peft
        : null;
}
