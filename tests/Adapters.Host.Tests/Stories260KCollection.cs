namespace Adapters.Host.Tests;

/// <summary>Tests that share the one stories260K server.</summary>
[CollectionDefinition(Name)]
public sealed class Stories260KCollection : ICollectionFixture<Stories260KServer>
{
    public const string Name = "stories260K server";
}
