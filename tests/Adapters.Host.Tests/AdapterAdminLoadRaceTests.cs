using Adapters.Host.Admin;

namespace Adapters.Host.Tests;

/// <summary>
/// A load's work runs on the thread pool and can end before the caller starts waiting on it (a
/// busy machine pauses the caller for a moment). Its time-limit token must still be usable then:
/// the load is answered with its own result, never an ObjectDisposedException — which the
/// endpoint answered 500 "internal error: The CancellationTokenSource has been disposed." for a
/// normal load, once in about 5,000 loads of `load-timing` on a busy 2-core machine.
/// </summary>
[Collection(HostileRootCollection.Name)]
public sealed class AdapterAdminLoadRaceTests(HostileRootServer fixture)
{
    [Theory]
    [InlineData("refused")]
    [InlineData("loaded")]
    public async Task Load_whose_work_ends_before_the_caller_waits_gets_its_own_result(string outcome)
    {
        using var admin = new RegistryAdapterAdmin(fixture.Backend.Registry, HostileRootServer.ModelName, new AdapterLoadOptions
        {
            Roots = outcome == "refused" ? null : new Core.IO.FileConfinement([fixture.AdapterRoot]),
        })
        {
            // The caller paused right after handing the work over, until the work has ended.
            AfterWorkStarted = work => ((IAsyncResult)work).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)),
        };

        if (outcome == "refused")
        {
            var e = await Assert.ThrowsAsync<AdapterAdminException>(() => admin.LoadAsync("paused", fixture.InsideExport, CancellationToken.None));
            Assert.Equal(AdapterAdminError.OutsideRoots, e.Error);
        }
        else
        {
            var model = await admin.LoadAsync("paused", fixture.InsideExport, CancellationToken.None);
            Assert.Equal(HostileRootServer.InsideRank, model.Rank);
            await admin.UnloadAsync("paused", CancellationToken.None);
        }
    }
}
