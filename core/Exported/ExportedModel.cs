using Adapters.Core.IO;
using System.Text.Json;
using Adapters.Core.Model;

namespace Adapters.Core.Exported;

/// <summary>
/// An exported model folder, checked: its manifest parsed and validated, and every file the
/// manifest names present. Errors are <see cref="InvalidFileException"/>s naming the file.
/// </summary>
public sealed class ExportedModel
{
    ExportedModel(string folder, ExportedModelManifest manifest, LlamaConfig config, string modelPath)
    {
        Folder = folder;
        Manifest = manifest;
        Config = config;
        ModelPath = modelPath;
    }

    public string Folder { get; }
    public ExportedModelManifest Manifest { get; }
    public LlamaConfig Config { get; }

    /// <summary>Full path of model.onnx.</summary>
    public string ModelPath { get; }

    public ExportedModelIo Io => Manifest.Io;

    /// <summary>Full path of the copied tokenizer file, or null when the export has none.</summary>
    public string? TokenizerPath => Manifest.Tokenizer?.File is { } file ? Path.Combine(Folder, file) : null;

    public string? TokenizerKind => Manifest.Tokenizer?.Kind;

    public static ExportedModel Open(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new InvalidFileException(full, "exported model folder not found");
        string manifestPath = Path.Combine(full, ExportedModelFiles.ManifestFileName);
        if (!File.Exists(manifestPath))
            throw new InvalidFileException(manifestPath, $"{ExportedModelFiles.ManifestFileName} not found: the folder is not a finished ONNX export");

        ExportedModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ExportedModelManifest>(File.ReadAllText(manifestPath))
                ?? throw new InvalidFileException(manifestPath, "the manifest is empty (JSON null)");
        }
        catch (JsonException e)
        {
            throw new InvalidFileException(manifestPath, $"invalid JSON: {e.Message}");
        }

        if (manifest.Format != ExportedModelManifest.ExpectedFormat)
            throw new InvalidFileException(manifestPath, $"format is '{manifest.Format}', expected '{ExportedModelManifest.ExpectedFormat}'");
        if (manifest.FormatVersion < 1 || manifest.FormatVersion > ExportedModelManifest.SupportedFormatVersion)
            throw new InvalidFileException(manifestPath,
                $"format_version {manifest.FormatVersion} is not supported (this runtime reads 1 to {ExportedModelManifest.SupportedFormatVersion})");
        var config = manifest.Config ?? throw new InvalidFileException(manifestPath, "the manifest has no 'config'");
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidFileException(manifestPath, $"invalid config: {e.Message}"); }

        if (!ExportedAttention.All.Contains(manifest.Attention))
            throw new InvalidFileException(manifestPath, $"attention '{manifest.Attention}' is not supported (this runtime reads {string.Join(", ", ExportedAttention.All)})");
        string modelPath = RequireFile(full, manifestPath, manifest.ModelFile, "model_file");
        if (manifest.ExternalDataFile is not null) RequireFile(full, manifestPath, manifest.ExternalDataFile, "external_data_file");
        if (manifest.Tokenizer is { } tokenizer) RequireFile(full, manifestPath, tokenizer.File, "tokenizer.file");
        return new ExportedModel(full, manifest, config, modelPath);
    }

    /// <summary>A file the manifest names: a plain name inside the folder, and present.</summary>
    static string RequireFile(string folder, string manifestPath, string? fileName, string field)
    {
        if (string.IsNullOrEmpty(fileName))
            throw new InvalidFileException(manifestPath, $"'{field}' is missing");
        if (Path.GetFileName(fileName) != fileName)
            throw new InvalidFileException(manifestPath, $"'{field}' must be a file name inside the folder, got '{fileName}'");
        string path = Path.Combine(folder, fileName);
        if (!File.Exists(path))
            throw new InvalidFileException(path, $"file not found ({ExportedModelFiles.ManifestFileName} names it as {field})");
        return path;
    }
}
