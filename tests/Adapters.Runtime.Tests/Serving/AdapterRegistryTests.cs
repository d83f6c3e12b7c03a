using Adapters.Core.IO;
using Adapters.TestSupport;
using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The registry loads, replaces and unloads adapters by name, keeps leased versions alive,
/// evicts unused ones least recently used first, and refuses bad input with a clear error while
/// staying exactly as it was.
/// </summary>
[Collection(AdapterServingCollection.Name)]
public sealed class AdapterRegistryTests(AdapterExportFixture exports)
{
    OnnxDecoderModel Model => exports.Swappable;

    AdapterRegistry NewRegistry(long maxBytes = long.MaxValue, params string[] names)
    {
        var registry = new AdapterRegistry(Model.Exported, maxBytes);
        foreach (string name in names) registry.Load(name, AdapterExportFixture.ManifestPath(Model, name));
        return registry;
    }

    /// <summary>A copy of an exported adapter whose manifest and parameters a test may spoil.</summary>
    string CopyOf(string name, Func<ExportedAdapterManifest, ExportedAdapterManifest>? manifest = null, Func<TensorData, TensorData>? parameter = null)
    {
        string folder = exports.NewFolder();
        var original = ExportedAdapterManifest.Read(AdapterExportFixture.ManifestPath(Model, name));
        var tensors = OnnxAdapterFile.Read(AdapterExportFixture.AdapterFilePath(Model, name)).Parameters.Select(parameter ?? (t => t)).ToList();
        var spoilt = (manifest ?? (m => m))(original with { Inputs = tensors.ToDictionary(t => t.Name, t => t.Shape) });
        OnnxAdapterWriter.Write(Path.Combine(folder, spoilt.File), tensors);
        File.WriteAllText(Path.Combine(folder, name + ExportedAdapterManifest.FileSuffix), spoilt.ToJson());
        return Path.Combine(folder, name + ExportedAdapterManifest.FileSuffix);
    }

    static void AssertUnchanged(AdapterRegistry registry, string name, LoadedAdapter current)
    {
        Assert.Equal(["lora-a"], registry.Names);
        using var lease = registry.Acquire(name);
        Assert.Same(current, lease.Adapter);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "truncated", "truncated or corrupt" },
        { "wrong-shape", "the model expects" },
        { "nan", "non-finite" },
        { "infinity", "non-finite" },
        { "other-base-model", "belongs to base model" },
        { "not-a-model-input", "not an adapter input of this model" },
        { "missing-file", "adapter file not found" },
        { "bad-manifest", "not a valid adapter manifest" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadAdapter_IsRefusedClearly_AndTheRegistryIsUnchanged(string problem, string expectedMessage)
    {
        var registry = NewRegistryWithLoraA(out var current);
        string path = problem switch
        {
            "truncated" => Truncated(CopyOf("lora-a")),
            "wrong-shape" => CopyOf("lora-a", parameter: t => t.Name.EndsWith(".lora_A") ? new TensorData(t.Name, [t.Shape[0], t.Shape[1] - 1], t.Data[..^t.Shape[0]]) : t),
            "nan" => CopyOf("lora-a", parameter: t => WithValue(t, float.NaN)),
            "infinity" => CopyOf("lora-a", parameter: t => WithValue(t, float.PositiveInfinity)),
            "other-base-model" => CopyOf("lora-a", manifest: m => m with { BaseModel = m.BaseModel with { EmbeddingSha256 = new string('0', 64) } }),
            "not-a-model-input" => CopyOf("lora-a", parameter: t => new TensorData(t.Name.Replace("layers.0", "layers.9"), t.Shape, t.Data)),
            "missing-file" => DeleteAdapterFile(CopyOf("lora-a")),
            _ => BadJson(CopyOf("lora-a")),
        };

        var error = Assert.ThrowsAny<IOException>(() => registry.Replace("lora-a", path));

        Assert.IsType<InvalidFileException>(error);
        Assert.Contains(expectedMessage, error.Message);
        Assert.Throws<InvalidFileException>(() => registry.Load("other", path));
        AssertUnchanged(registry, "lora-a", current);
    }

    [Fact]
    public void UnknownName_IsRefusedNamingTheLoadedOnes_AndTheRegistryIsUnchanged()
    {
        var registry = NewRegistryWithLoraA(out var current);

        var acquire = Assert.Throws<AdapterNotFoundException>(() => registry.Acquire("nope"));
        Assert.Throws<AdapterNotFoundException>(() => registry.Unload("nope"));
        Assert.Throws<AdapterNotFoundException>(() => registry.Replace("nope", AdapterExportFixture.ManifestPath(Model, "lora-b")));

        Assert.Contains("'nope'", acquire.Message);
        Assert.Contains("lora-a", acquire.Message);
        AssertUnchanged(registry, "lora-a", current);
    }

    [Fact]
    public void TruncatedAdapterFolder_IsRefusedByTheExporter_AndNothingIsWritten()
    {
        string folder = Path.Combine(exports.NewFolder(), "adapter");
        var adapter = RandomAdapters.Lora(exports.Weights, seed: 9);
        AdapterFolder.Write(folder, adapter.Manifest, adapter.Tensors.Values);
        string weights = Path.Combine(folder, AdapterManifest.DefaultWeightsFile);
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^100]);
        string output = Path.Combine(exports.NewFolder(), "export");

        var error = Assert.ThrowsAny<IOException>(() => AdapterExporter.Export(exports.Weights, [folder], output));

        Assert.Contains(AdapterManifest.DefaultWeightsFile, error.Message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Lease_KeepsItsVersion_ThroughReplaceAndUnload()
    {
        var registry = NewRegistry(names: "lora-a");
        using var first = registry.Acquire("lora-a");
        var replacement = registry.Replace("lora-a", AdapterExportFixture.ManifestPath(Model, "lora-b"));
        using var second = registry.Acquire("lora-a");
        registry.Unload("lora-a");

        Assert.NotSame(first.Adapter, second.Adapter);
        Assert.Same(replacement, second.Adapter);
        Assert.Equal("lora", first.Adapter.Manifest.Method);
        Assert.Equal(4, first.Adapter.Manifest.Rank);
        Assert.Equal(first.Adapter.ByteCount + second.Adapter.ByteCount, registry.ResidentBytes);
        Assert.Throws<AdapterNotFoundException>(() => registry.Acquire("lora-a"));
    }

    [Fact]
    public void RetiredVersion_KeepsItsValuesForItsLeases_AndFreesThemWithTheLast()
    {
        // The values as the file holds them, read without the registry.
        var expected = OnnxAdapterFile.Read(AdapterExportFixture.AdapterFilePath(Model, "lora-a")).Parameters.ToDictionary(t => t.Name);
        var registry = NewRegistry(names: "lora-a");
        var first = registry.Acquire("lora-a");
        var second = registry.Acquire("lora-a");
        var version = first.Adapter;
        registry.Replace("lora-a", AdapterExportFixture.ManifestPath(Model, "lora-b"));
        registry.Unload("lora-a");
        registry.Dispose();

        first.Dispose();
        var held = version.CopyTensors(); // the second lease still holds them
        Assert.Equal(expected.Keys.Order(), held.Keys.Order());
        foreach (var (name, t) in expected) Assert.Equal(t.Data, held[name].Data);
        second.Dispose();
        Assert.Throws<ObjectDisposedException>(() => version.CopyTensors());
    }

    [Fact]
    public void EvictedVersion_NobodyHolds_IsFreedAtOnce()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        var first = registry.Load("first", AdapterExportFixture.ManifestPath(Model, "lora-a"));
        Assert.NotEmpty(first.CopyTensors());
        registry.Load("second", AdapterExportFixture.ManifestPath(Model, "lora-b"));

        Assert.False(registry.IsResident("first"));
        Assert.Throws<ObjectDisposedException>(() => first.CopyTensors());
        using var lease = registry.Acquire("first"); // read back from the store as a new version
        Assert.NotSame(first, lease.Adapter);
        Assert.NotEmpty(lease.Adapter.CopyTensors());
    }

    [Fact]
    public void AcquireAsync_LeasesAResidentVersionAtOnce_AndRefusesAnUnknownNameAtOnce()
    {
        using var registry = NewRegistry(names: "lora-a");
        var resident = registry.AcquireAsync("lora-a");
        Assert.True(resident.IsCompletedSuccessfully);
        using (resident.Result) Assert.Equal("lora-a", resident.Result.Adapter.Name);
        Assert.Throws<AdapterNotFoundException>(() => { _ = registry.AcquireAsync("nobody"); });
    }

    [Fact]
    public async Task AcquireAsync_ReadsAnEvictedVersionBack_OnTheReloadThread_NotTheCallers()
    {
        var expected = OnnxAdapterFile.Read(AdapterExportFixture.AdapterFilePath(Model, "lora-a")).Parameters.ToDictionary(t => t.Name);
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        registry.Load("first", AdapterExportFixture.ManifestPath(Model, "lora-a"));
        registry.Load("second", AdapterExportFixture.ManifestPath(Model, "lora-b"));
        Assert.False(registry.IsResident("first"));

        // Hold the reload thread: the miss must wait for it, and this thread must come back at once.
        using var gate = new ManualResetEventSlim();
        var holding = AdapterReloadThread.RunAsync(() => gate.Wait(TimeSpan.FromSeconds(30)));
        var miss = registry.AcquireAsync("first");
        Assert.False(miss.IsCompleted, "the miss was read back on the caller's thread");
        gate.Set();
        Assert.True(await holding);

        using var lease = await miss;
        Assert.True(registry.IsResident("first"));
        var values = lease.Adapter.CopyTensors();
        Assert.Equal(expected.Keys.Order(), values.Keys.Order());
        foreach (var (name, t) in expected) Assert.Equal(t.Data, values[name].Data);
    }

    [Fact]
    public void EndingALease_NeverWaitsForTheRegistrysLock_AndTheReleasedVersionCanThenBeEvicted()
    {
        // The scheduler thread ends leases; a request thread holding the lock must not stall it.
        long each = NewRegistry(names: "lora-a").ResidentBytes;
        using var registry = NewRegistry(maxBytes: each + each / 2, "lora-a");
        var lease = registry.Acquire("lora-a");
        var registryLock = (Lock)typeof(AdapterRegistry).GetField("_lock", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(registry)!;
        using var holding = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (registryLock.EnterScope())
            {
                holding.Set();
                done.Wait(TimeSpan.FromSeconds(30));
            }
        });
        holder.Start();
        holding.Wait();
        var release = Task.Run(lease.Dispose);
        bool released = release.Wait(TimeSpan.FromSeconds(5));
        done.Set();
        holder.Join();
        Assert.True(released, "disposing the lease waited for the registry's lock");

        registry.Load("second", CopyOf("lora-a")); // room only for one: the released lora-a goes
        Assert.False(registry.IsResident("lora-a"));
        Assert.True(registry.IsResident("second"));
    }

    [Fact]
    public void OverTheMemoryLimit_UnusedAdaptersAreEvictedLeastRecentlyUsedFirst_AndReadBackOnUse()
    {
        long each = NewRegistry(names: "lora-a").ResidentBytes;
        using var registry = NewRegistry(maxBytes: 2 * each + each / 2, "lora-a");
        string other = CopyOf("lora-a"), third = CopyOf("lora-a");
        registry.Load("second", other);
        using (registry.Acquire("lora-a")) { } // lora-a is now the most recently used

        registry.Load("third", third);

        Assert.False(registry.IsResident("second"));
        Assert.True(registry.IsResident("lora-a") && registry.IsResident("third"));
        using var lease = registry.Acquire("second"); // read back, evicting the least recently used (lora-a)
        Assert.True(registry.IsResident("second"));
        Assert.False(registry.IsResident("lora-a"));
        Assert.True(registry.ResidentBytes <= registry.MaxBytes);
    }

    [Fact]
    public void WhenEveryAdapterIsInUse_ANewOneThatDoesNotFit_IsRefused()
    {
        long each = NewRegistry(names: "lora-a").ResidentBytes;
        using var registry = NewRegistry(maxBytes: each + each / 2, "lora-a");
        using var lease = registry.Acquire("lora-a");

        var error = Assert.Throws<AdapterCapacityException>(() => registry.Load("second", CopyOf("lora-a")));

        Assert.Contains("held by requests in flight", error.Message);
        Assert.Equal(["lora-a"], registry.Names);
    }

    [Fact]
    public void PlainOrFusedExport_CannotServeAdapters()
    {
        string folder = exports.NewFolder();
        foreach (string file in Directory.GetFiles(Model.Exported.Folder)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(folder, ExportedModelFiles.ManifestFileName), (Model.Exported.Manifest with { Adapters = null }).ToJson());

        var error = Assert.Throws<InvalidFileException>(() => new AdapterRegistry(ExportedModel.Open(folder)).Load("x", AdapterExportFixture.ManifestPath(Model, "lora-a")));

        Assert.Contains("without adapter inputs", error.Message);
    }

    AdapterRegistry NewRegistryWithLoraA(out LoadedAdapter current)
    {
        var registry = NewRegistry(names: "lora-a");
        using (var lease = registry.Acquire("lora-a")) current = lease.Adapter;
        return registry;
    }

    static TensorData WithValue(TensorData t, float value)
    {
        var data = (float[])t.Data.Clone();
        data[data.Length / 2] = value;
        return new TensorData(t.Name, t.Shape, data);
    }

    static string Truncated(string manifestPath)
    {
        string file = Directory.GetFiles(Path.GetDirectoryName(manifestPath)!, "*" + ExportedAdapterManifest.AdapterFileSuffix).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^64]);
        return manifestPath;
    }

    static string DeleteAdapterFile(string manifestPath)
    {
        File.Delete(Directory.GetFiles(Path.GetDirectoryName(manifestPath)!, "*" + ExportedAdapterManifest.AdapterFileSuffix).Single());
        return manifestPath;
    }

    static string BadJson(string manifestPath)
    {
        File.WriteAllText(manifestPath, "{ \"format\": ");
        return manifestPath;
    }

    [Fact]
    public void ResidentCountLimit_EvictsTheLeastRecentlyUsed_RaisesEvicted_AndReloadsOnAcquire()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 2);
        var evicted = new List<string>();
        var reloaded = new List<string>();
        registry.Evicted += a => evicted.Add(a.Name);
        registry.Reloaded += a => reloaded.Add(a.Name);
        foreach (string name in new[] { "lora-a", "lora-b", "loreft" }) registry.Load(name, AdapterExportFixture.ManifestPath(Model, name));

        Assert.Equal(["lora-a"], evicted);
        Assert.Equal(["lora-a", "lora-b", "loreft"], registry.Names);
        using (registry.Acquire("lora-a")) { }
        Assert.Equal(["lora-a"], reloaded);
        Assert.Equal(["lora-a", "lora-b"], evicted);
        Assert.Equal(2, registry.Registered.Count(r => r.Resident));
    }

    [Fact]
    public void ResidentCountLimit_WhenEveryAdapterIsInUse_RefusesWithCapacityError()
    {
        using var registry = new AdapterRegistry(Model.Exported, maxResident: 1);
        registry.Load("lora-a", AdapterExportFixture.ManifestPath(Model, "lora-a"));
        using var lease = registry.Acquire("lora-a");

        Assert.Throws<AdapterCapacityException>(() => registry.Load("lora-b", AdapterExportFixture.ManifestPath(Model, "lora-b")));
        Assert.Equal(["lora-a"], registry.Names);
    }
}
