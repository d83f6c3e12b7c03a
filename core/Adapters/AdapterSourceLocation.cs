namespace Adapters.Core.Adapters;

/// <summary>
/// Where <see cref="AdapterSourceReader.Locate"/> found an adapter: the folder holding its files,
/// their layout, and the name it goes by (the folder's name, or the run's name for a run's adapter/).
/// </summary>
public sealed record AdapterSourceLocation(string Folder, AdapterSourceKind Kind, string Name);
