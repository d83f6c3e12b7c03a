using Adapters.Core.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Exported;

/// <summary>
/// {name}.adapter.json beside each exported {name}.onnx_adapter: which method and rank the
/// adapter has, the base model it belongs to, the graph inputs its file fills and, for
/// residual edits, the prompt positions it edits. The .onnx_adapter file alone is what ONNX
/// Runtime and GenAI load; this manifest lets our runtime check it before use.
/// </summary>
public sealed record ExportedAdapterManifest
{
    public const string ExpectedFormat = "adapters-onnx-adapter";
    public const int SupportedFormatVersion = 1;
    public const string FileSuffix = ".adapter.json";
    public const string AdapterFileSuffix = ".onnx_adapter";

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonPropertyName("format")] public string? Format { get; init; } = ExpectedFormat;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = SupportedFormatVersion;
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("rank")] public required int Rank { get; init; }
    [JsonPropertyName("base_model")] public required ModelFingerprint BaseModel { get; init; }
    /// <summary>The .onnx_adapter file, a plain name in the same folder.</summary>
    [JsonPropertyName("file")] public required string File { get; init; }
    /// <summary>Graph input names the file holds, each with its shape.</summary>
    [JsonPropertyName("inputs")] public required IReadOnlyDictionary<string, int[]> Inputs { get; init; }
    /// <summary>Prompt positions edited (PositionSpec text, e.g. "f5+l5"); null for projection-only adapters.</summary>
    [JsonPropertyName("positions")] public string? Positions { get; init; }
    /// <summary>The adapter's hyperparameters as trained, for people reading the folder.</summary>
    [JsonPropertyName("hyperparameters")] public JsonObject? Hyperparameters { get; init; }
    /// <summary>
    /// A weight delta compressed to LoRA by truncated SVD: ‖ΔW − BA‖_F / ‖ΔW‖_F over all its
    /// projections (null = carried exactly).
    /// </summary>
    [JsonPropertyName("svd_relative_error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SvdRelativeError { get; init; }
    /// <summary>The same error per projection module (e.g. "model.layers.0.self_attn.q_proj").</summary>
    [JsonPropertyName("svd_projection_errors")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? SvdProjectionErrors { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads and checks a manifest the caller named itself (no confinement); errors name the file.</summary>
    public static ExportedAdapterManifest Read(string path) =>
        Read(path, FileConfinement.Anywhere).Manifest;

    /// <summary>Reads a manifest once (a regular file within <see cref="UntrustedFile.MaxJsonBytes"/>, inside <paramref name="confinement"/>).</summary>
    public static (ExportedAdapterManifest Manifest, FileBytes File) Read(string path, FileConfinement confinement, CancellationToken cancel = default)
    {
        var file = UntrustedFile.Read(path, UntrustedFile.MaxJsonBytes, "a JSON manifest", confinement, cancel);
        return (Parse(path, file.Bytes), file);
    }

    /// <summary>Methods an exported adapter may carry: every method with an export (LoRA, ReFT, and the SVD-compressed weight deltas).</summary>
    public static IEnumerable<string> ExportableMethods => Adapters.AdapterMethods.All.Where(m => !Adapters.AdapterMethods.NotExportable.ContainsKey(m));

    /// <summary>
    /// Parses and checks format, version, method, file name, rank and positions (the inputs are
    /// checked against the model and the data by the runtime). Errors name <paramref name="path"/>, never quote it.
    /// </summary>
    public static ExportedAdapterManifest Parse(string path, byte[] bytes)
    {
        ExportedAdapterManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<ExportedAdapterManifest>(bytes); }
        catch (JsonException e) { throw new InvalidFileException(path, $"not a valid adapter manifest: {JsonProblem.Describe(e)}"); }
        catch (InvalidOperationException) { throw new InvalidFileException(path, "not a valid adapter manifest: " + JsonProblem.InvalidText); }
        catch (ArgumentException) { throw new InvalidFileException(path, "not a valid adapter manifest: a field is given twice"); }
        if (manifest is null) throw new InvalidFileException(path, "the manifest is empty (JSON null)");
        if (manifest.Format != ExpectedFormat)
            throw new InvalidFileException(path, $"format is '{manifest.Format}', expected '{ExpectedFormat}'");
        if (manifest.FormatVersion != SupportedFormatVersion)
            throw new InvalidFileException(path, $"format_version {manifest.FormatVersion} is not supported (this build reads {SupportedFormatVersion})");
        if (string.IsNullOrEmpty(manifest.Name)) throw new InvalidFileException(path, "missing field 'name'");
        if (manifest.Method is null || !ExportableMethods.Contains(manifest.Method))
            throw new InvalidFileException(path, $"method '{manifest.Method}' is not one an exported adapter can have ({string.Join(", ", ExportableMethods)})");
        if (string.IsNullOrEmpty(manifest.File) || !UntrustedFolder.IsPlainName(manifest.File))
            throw new InvalidFileException(path, $"'file' must be a file name in the same folder, got '{manifest.File}'");
        if (manifest.BaseModel is not { Shape: not null, EmbeddingSha256: not null }) throw new InvalidFileException(path, "missing field 'base_model'");
        if (manifest.Inputs is null || manifest.Inputs.Count == 0 || manifest.Inputs.Any(kv => kv.Value is null))
            throw new InvalidFileException(path, "'inputs' must name every graph input the adapter file fills, with its shape");
        if (manifest.Rank < 1) throw new InvalidFileException(path, $"rank must be positive, got {manifest.Rank}");
        bool reft = Adapters.AdapterMethods.IsReft(manifest.Method);
        if (reft && manifest.Positions is null) throw new InvalidFileException(path, $"a {manifest.Method} adapter needs 'positions'");
        if (!reft && manifest.Positions is not null) throw new InvalidFileException(path, $"a {manifest.Method} adapter edits no prompt positions, but 'positions' is set");
        if (manifest.Positions is { } positions)
        {
            try { Adapters.PositionSpec.Parse(positions); }
            catch (ArgumentException e) { throw new InvalidFileException(path, e.Message); }
        }
        return manifest;
    }
}
