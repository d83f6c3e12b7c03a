using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.IO;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Turns what a user passes as an adapter for an exported model into an exported adapter manifest
/// the runtime registry loads — the one conversion behind `generate --engine onnx --adapter` and
/// the host's /v1/load_lora_adapter:
/// <list type="bullet">
/// <item>an exported manifest (*.adapter.json), or a folder holding exactly one: used as it is;</item>
/// <item>any folder <see cref="AdapterSourceReader"/> reads (ours, PEFT LoRA, a train run): read
/// against the export's config and base-model fingerprint and written by
/// <see cref="AdapterExporter.WriteAdapter"/> into a new folder.</item>
/// </list>
/// </summary>
public static class AdapterConverter
{
    /// <param name="newFolder">Called only when a conversion is needed: a new, empty folder for the converted files.</param>
    /// <param name="name">The converted adapter's file stem and manifest name.</param>
    public static ExportedAdapterPath ManifestFor(ExportedModel model, string path, Func<string> newFolder, string name = "adapter") =>
        ManifestFor(model, path, newFolder, name, FileConfinement.Anywhere, CancellationToken.None);

    /// <summary>
    /// As above, for a path someone else chose: the folder is listed and read through one open
    /// handle inside <paramref name="confinement"/> (<see cref="UntrustedFolder"/>), training
    /// adapters are read as <see cref="AdapterSourceReader"/> reads untrusted folders, and reading
    /// stops on <paramref name="cancel"/>. A returned manifest path must still be read confined.
    /// </summary>
    public static ExportedAdapterPath ManifestFor(ExportedModel model, string path, Func<string> newFolder, string name,
        FileConfinement confinement, CancellationToken cancel)
    {
        if (File.Exists(path))
        {
            if (path.EndsWith(ExportedAdapterManifest.FileSuffix, StringComparison.Ordinal)) return new ExportedAdapterPath(path, null);
            throw new InvalidFileException(path,
                $"not an adapter: expected an exported adapter manifest (*{ExportedAdapterManifest.FileSuffix}) or an adapter folder");
        }
        if (!Directory.Exists(path)) throw new InvalidFileException(path, "adapter folder not found");
        using (var folder = UntrustedFolder.Open(path, confinement))
        {
            var manifests = folder.FileNames(ExportedAdapterManifest.FileSuffix);
            if (manifests.Count == 1) return new ExportedAdapterPath(folder.PathOf(manifests[0]), null);
            if (manifests.Count > 1)
                throw new InvalidFileException(path, $"holds {manifests.Count} exported adapters ({string.Join(", ", manifests)}); name one of them");
        }

        var fingerprint = model.Manifest.Fingerprint
            ?? throw new InvalidFileException(Path.Combine(model.Folder, ExportedModelFiles.ManifestFileName),
                "records no base-model fingerprint, so a training adapter cannot be checked against it; export the adapter with the model instead");
        var adapter = AdapterSourceReader.Read(path, model.Config, fingerprint, confinement, cancel);
        cancel.ThrowIfCancellationRequested();
        string folderPath = newFolder();
        try
        {
            var written = AdapterExporter.WriteAdapter(model.Config, fingerprint, new AdapterSource(name, adapter), folderPath);
            return new ExportedAdapterPath(Path.Combine(folderPath, written.Name + ExportedAdapterManifest.FileSuffix), folderPath);
        }
        catch
        {
            if (Directory.Exists(folderPath)) Directory.Delete(folderPath, recursive: true);
            throw;
        }
    }
}
