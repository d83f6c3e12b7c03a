using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// A registry that may evict keeps the validated bytes of every adapter in its store, and reads an
/// evicted adapter back only from there: whatever happens to the original files meanwhile, the next
/// lease gets the very values that were checked; a tampered copy is refused; copies go with the last
/// registration; adapters are read confined to the caller's roots.
/// </summary>
[Collection(AdapterServingCollection.Name)]
public sealed class ServedAdapterStoreTests(AdapterExportFixture exports)
{
    OnnxDecoderModel Model => exports.Swappable;

    /// <summary>A copy of an exported adapter's two files in a folder of its own; returns the manifest path.</summary>
    string CopyOf(string name)
    {
        string folder = exports.NewFolder();
        foreach (string file in new[] { AdapterExportFixture.ManifestPath(Model, name), AdapterExportFixture.AdapterFilePath(Model, name) })
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return Path.Combine(folder, name + ExportedAdapterManifest.FileSuffix);
    }

    static void AssertSameValues(IReadOnlyDictionary<string, TensorData> expected, LoadedAdapter actual)
    {
        var values = actual.CopyTensors();
        Assert.Equal(expected.Keys.Order(), values.Keys.Order());
        foreach (var (name, t) in expected) Assert.Equal(t.Data, values[name].Data);
    }

    [Theory]
    [InlineData("swapped for another adapter")]
    [InlineData("truncated")]
    [InlineData("deleted")]
    [InlineData("replaced by a named pipe")]
    public void Evicted_adapter_comes_back_from_the_store_not_from_its_original_path(string change)
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        string manifest = CopyOf("lora-a");
        string weights = Path.Combine(Path.GetDirectoryName(manifest)!, "lora-a" + ExportedAdapterManifest.AdapterFileSuffix);
        var original = registry.Load("a", manifest);
        var originalValues = original.CopyTensors(); // read while resident: eviction frees them
        registry.Load("b", AdapterExportFixture.ManifestPath(Model, "lora-b"));
        Assert.False(registry.IsResident("a"));
        switch (change)
        {
            case "swapped for another adapter": File.Copy(AdapterExportFixture.AdapterFilePath(Model, "lora-b"), weights, overwrite: true); break;
            case "truncated": File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..64]); break;
            case "deleted": Directory.Delete(Path.GetDirectoryName(manifest)!, recursive: true); break;
            default: SpecialFiles.Fifo(weights); break;
        }
        try
        {
            using var lease = registry.Acquire("a");

            Assert.NotSame(original, lease.Adapter);
            AssertSameValues(originalValues, lease.Adapter);
        }
        finally { if (File.Exists(weights)) SpecialFiles.ReleaseFifo(weights); }
    }

    [Fact]
    public void Tampered_copy_in_the_store_is_refused_on_reload()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        registry.Load("a", CopyOf("lora-a"));
        registry.Load("b", CopyOf("lora-b"));
        string copy = Directory.GetFiles(registry.Store!.Folder, "lora-a" + ExportedAdapterManifest.FileSuffix, SearchOption.AllDirectories).Single();
        // Still a valid manifest, but not the bytes that were checked.
        File.AppendAllText(copy, "\n");

        var error = Assert.Throws<InvalidFileException>(() => registry.Acquire("a"));
        Assert.Contains("changed on disk", error.Message);
    }

    [Fact]
    public void Copy_whose_adapter_file_changed_in_the_store_is_refused_on_reload()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        registry.Load("a", CopyOf("lora-a"));
        registry.Load("b", CopyOf("lora-b"));
        string copy = Directory.GetFiles(registry.Store!.Folder, "lora-a" + ExportedAdapterManifest.AdapterFileSuffix, SearchOption.AllDirectories).Single();
        // Same size, same shapes, finite: only one value differs from the bytes that were checked.
        var tensors = OnnxAdapterFile.Read(copy).Parameters.ToList();
        tensors[0].Data[0] += 1f;
        long length = new FileInfo(copy).Length;
        OnnxAdapterWriter.Write(copy, tensors);
        Assert.Equal(length, new FileInfo(copy).Length);

        var error = Assert.Throws<InvalidFileException>(() => registry.Acquire("a"));
        Assert.Contains("changed on disk", error.Message);
    }

    /// <summary>
    /// A miss reads the adapter file through a pooled buffer and keeps the values in native memory:
    /// the garbage-collected heap sees neither a copy of the file nor the values (at a few hundred
    /// misses a second in issue 16's store benchmark, both made most of a replica's garbage), only
    /// the parse's small objects.
    /// </summary>
    [Fact]
    public void Reload_allocates_neither_a_copy_of_its_file_nor_its_values_on_the_gc_heap()
    {
        // Rank-32 LoRAs (about 240 KB files), so the file outweighs what a reload allocates besides (names, shapes).
        string folder = exports.NewFolder();
        string[] names = ["wide-a", "wide-b"];
        var manifests = names.Select((name, i) =>
        {
            var source = new AdapterSource(name, RandomAdapters.Lora(exports.Weights, seed: 11 + i, rank: 32));
            AdapterExporter.WriteAdapter(exports.Weights.Config, ModelFingerprint.Of(exports.Weights), source, Path.Combine(folder, name));
            return Path.Combine(folder, name, name + ExportedAdapterManifest.FileSuffix);
        }).ToList();
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        for (int i = 0; i < names.Length; i++) registry.Load(names[i], manifests[i]);
        for (int i = 0; i < 6; i++) registry.Acquire(names[i % 2]).Dispose(); // every acquire is a miss: one place

        const int Reloads = 20;
        long values = 0, before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Reloads; i++)
        {
            using var lease = registry.Acquire(names[i % 2]);
            values += lease.Adapter.ByteCount;
        }
        long perReload = (GC.GetAllocatedBytesForCurrentThread() - before) / Reloads;

        Assert.True(perReload < values / Reloads / 4, $"a reload allocated {perReload:N0} bytes on the GC heap (its values have {values / Reloads:N0})");
    }

    [Fact]
    public void Copies_are_shared_by_equal_content_and_removed_with_the_last_registration()
    {
        var registry = new AdapterRegistry(Model.Exported, maxResident: 4);
        string store = registry.Store!.Folder;
        registry.Load("a", CopyOf("lora-a"));
        registry.Load("a-again", CopyOf("lora-a"));
        registry.Load("b", CopyOf("lora-b"));
        Assert.Equal(2, registry.Store.Count);

        registry.Unload("a");
        Assert.Equal(2, registry.Store.Count);
        registry.Replace("a-again", CopyOf("lora-b"));
        Assert.Equal(1, registry.Store.Count);
        Assert.Single(Directory.GetDirectories(store));

        registry.Dispose();
        Assert.False(Directory.Exists(store));
    }

    [Fact]
    public void Registry_without_limits_never_evicts_and_keeps_no_copies()
    {
        using var registry = new AdapterRegistry(Model.Exported);
        registry.Load("a", CopyOf("lora-a"));
        Assert.Null(registry.Store);
    }

    [Fact]
    public void Adapter_outside_the_confinement_is_refused_and_changes_nothing()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 2);
        string root = exports.NewFolder();
        string manifest = CopyOf("lora-a");
        string link = Path.Combine(root, "lora-a" + ExportedAdapterManifest.FileSuffix);
        File.CreateSymbolicLink(link, manifest);

        Assert.Throws<OutsideConfinementException>(() => registry.Load("a", link, new FileConfinement([root])));
        Assert.Empty(registry.Names);
        Assert.Equal(0, registry.Store!.Count);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("<b>")]
    public void Registry_refuses_names_outside_the_documented_set(string name)
    {
        using var registry = new AdapterRegistry(Model.Exported);
        var error = Assert.Throws<ArgumentException>(() => registry.Load(name, AdapterExportFixture.ManifestPath(Model, "lora-a")));
        Assert.Contains("letters, digits", error.Message);
        Assert.Empty(registry.Names);
    }

    [Fact]
    public void Cancelled_load_changes_nothing()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 2);
        Assert.ThrowsAny<OperationCanceledException>(() => registry.Load("a", CopyOf("lora-a"), cancel: new CancellationToken(canceled: true)));
        Assert.Empty(registry.Names);
        Assert.Equal(0, registry.Store!.Count);
    }
}
