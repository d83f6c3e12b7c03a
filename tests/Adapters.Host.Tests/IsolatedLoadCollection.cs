namespace Adapters.Host.Tests;

/// <summary>
/// The load test alone, with a server of its own: it compares the process's managed heap before and
/// after, which any test running beside it would move (a parallel fixture once added 90 MB).
/// xunit runs a collection that disables parallelization after the others, by itself.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedLoadCollection : ICollectionFixture<AdapterServer>
{
    public const string Name = "load test, alone";
}
