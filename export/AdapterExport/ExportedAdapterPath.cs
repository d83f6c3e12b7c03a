namespace Adapters.Export.AdapterExport;

/// <summary>
/// The exported adapter manifest (*.adapter.json) a user's adapter path came to, and the folder
/// <see cref="AdapterConverter"/> wrote it into when it had to convert a training adapter (null when
/// the path already named an exported one). The caller owns that folder.
/// </summary>
public sealed record ExportedAdapterPath(string Manifest, string? ConvertedFolder);
