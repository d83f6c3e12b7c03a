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
    public static ExportedAdapterPath ManifestFor(ExportedModel model, string path, Func<string> newFolder, string name = "adapter")
    {
        if (File.Exists(path))
        {
            if (path.EndsWith(ExportedAdapterManifest.FileSuffix, StringComparison.Ordinal)) return new ExportedAdapterPath(path, null);
            throw new InvalidFileException(path,
                $"not an adapter: expected an exported adapter manifest (*{ExportedAdapterManifest.FileSuffix}) or an adapter folder");
        }
        if (!Directory.Exists(path)) throw new InvalidFileException(path, "adapter folder not found");
        string[] manifests = Directory.GetFiles(path, "*" + ExportedAdapterManifest.FileSuffix);
        if (manifests.Length == 1) return new ExportedAdapterPath(manifests[0], null);
        if (manifests.Length > 1)
            throw new InvalidFileException(path,
                $"holds {manifests.Length} exported adapters ({string.Join(", ", manifests.Select(Path.GetFileName).Order())}); name one of them");

        var fingerprint = model.Manifest.Fingerprint
            ?? throw new InvalidFileException(Path.Combine(model.Folder, ExportedModelFiles.ManifestFileName),
                "records no base-model fingerprint, so a training adapter cannot be checked against it; export the adapter with the model instead");
        var adapter = AdapterSourceReader.Read(path, model.Config, fingerprint);
        string folder = newFolder();
        try
        {
            var written = AdapterExporter.WriteAdapter(model.Config, fingerprint, new AdapterSource(name, adapter), folder);
            return new ExportedAdapterPath(Path.Combine(folder, written.Name + ExportedAdapterManifest.FileSuffix), folder);
        }
        catch
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            throw;
        }
    }
}
