namespace Adapters.Host.Tests;

/// <summary>
/// Every request checks the model it names; the check is one lookup, not a listing: with a store
/// of 1,000 registered adapters, building the list per request was most of a server's garbage.
/// </summary>
[Collection(AdapterServerCollection.Name)]
public sealed class ModelLookupTests(AdapterServer fixture)
{
    [Fact]
    public void Serves_names_the_base_model_and_registered_adapters_only()
    {
        var backend = fixture.Backend;
        Assert.True(backend.Serves(AdapterServer.ModelName));
        Assert.True(backend.Serves(AdapterServer.Alpha));
        Assert.False(backend.Serves("no-such-adapter"));
        Assert.False(backend.Serves(AdapterServer.Alpha.ToUpperInvariant())); // names are exact, as in /v1/models
        Assert.Equal(backend.Models.Select(m => m.Id).Order(), backend.Models.Select(m => m.Id).Where(backend.Serves).Order());
    }

    [Fact]
    public void Checking_a_name_allocates_nothing_whatever_the_registry_holds()
    {
        var backend = fixture.Backend;
        backend.Serves(AdapterServer.Alpha); // first call compiles
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) backend.Serves(i % 2 == 0 ? AdapterServer.Alpha : "no-such-adapter");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"1,000 checks allocated {allocated} bytes; listing the models allocates per adapter on every call");
    }
}
