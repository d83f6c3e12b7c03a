using Adapters.Core.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Which dense model a compressed checkpoint came from (compressed_from.json beside its
/// config.json), so `adapters bench --compressed` can time it against that same dense base and
/// refuse any other. The fingerprint (shape + embedding hash) survives compression, which leaves
/// the embedding untouched.
/// </summary>
public sealed record CompressionProvenance
{
    public const string FileName = "compressed_from.json";

    /// <summary>The dense checkpoint path as given to compress; null for random weights of a named shape.</summary>
    [JsonPropertyName("model")] public string? Model { get; init; }
    /// <summary>The named shape (ModelShapes) of random weights; null for a checkpoint.</summary>
    [JsonPropertyName("shape")] public string? Shape { get; init; }
    [JsonPropertyName("seed")] public int? Seed { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("fingerprint")] public required ModelFingerprint Fingerprint { get; init; }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>How to name the dense base on the bench command line.</summary>
    [JsonIgnore] public string BenchArguments => Model is not null ? $"--model {Model}" : $"--shape {Shape} --seed {Seed ?? 0}";

    public void Write(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The provenance in <paramref name="folder"/>, or null when the folder has none (compressed by other means).</summary>
    public static CompressionProvenance? TryRead(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<CompressionProvenance>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidFileException(path, $"not a valid {FileName}: {e.Message}"); }
    }
}
