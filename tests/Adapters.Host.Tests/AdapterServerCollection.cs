namespace Adapters.Host.Tests;

/// <summary>Tests that share the one stories260K server with the scheduler backend and adapters.</summary>
[CollectionDefinition(Name)]
public sealed class AdapterServerCollection : ICollectionFixture<AdapterServer>
{
    public const string Name = "stories260K adapter server";
}
