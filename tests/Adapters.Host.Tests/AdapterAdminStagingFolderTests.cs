using Adapters.Core.IO;
using Adapters.Host.Admin;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// The admin's staging folder: its own temporary one goes when it is disposed; a folder the options
/// name is the user's, and stays with everything in it.
/// </summary>
[Collection(HostileRootCollection.Name)]
public sealed class AdapterAdminStagingFolderTests(HostileRootServer fixture)
{
    [Fact]
    public void A_named_staging_folder_is_kept_and_a_temporary_one_deleted_on_dispose()
    {
        string named = SharedModels.NewTempFolder("staging-named");
        File.WriteAllText(Path.Combine(named, "notes.txt"), "the user's");
        try
        {
            new RegistryAdapterAdmin(fixture.Backend.Registry, HostileRootServer.ModelName, new AdapterLoadOptions { StagingFolder = named }).Dispose();
            Assert.Equal("the user's", File.ReadAllText(Path.Combine(named, "notes.txt")));

            var admin = new RegistryAdapterAdmin(fixture.Backend.Registry, HostileRootServer.ModelName);
            string temporary = admin.StagingRoot;
            Assert.StartsWith(Path.Combine(Path.GetTempPath(), RegistryAdapterAdmin.TemporaryPrefix), temporary);
            Assert.True(File.Exists(Path.Combine(temporary, OwnedTempFolder.OwnerFileName)));
            admin.Dispose();
            Assert.False(Directory.Exists(temporary));
        }
        finally
        {
            Directory.Delete(named, recursive: true);
        }
    }
}
