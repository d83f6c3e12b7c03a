namespace Adapters.Runtime.Tests.Serving;

/// <summary>Tests that share the swappable and batched adapter exports.</summary>
[CollectionDefinition(Name)]
public sealed class AdapterServingCollection : ICollectionFixture<AdapterExportFixture>
{
    public const string Name = "stories260K adapter exports";
}
