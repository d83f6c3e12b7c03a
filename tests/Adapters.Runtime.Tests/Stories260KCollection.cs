namespace Adapters.Runtime.Tests;

/// <summary>Tests that share the one stories260K export.</summary>
[CollectionDefinition(Name)]
public sealed class Stories260KCollection : ICollectionFixture<Stories260KExportFixture>
{
    public const string Name = "stories260K export";
}
