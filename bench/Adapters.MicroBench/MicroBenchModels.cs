using Adapters.Bench;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.MicroBench;

/// <summary>The bench workspace's exports of a random 260K model, in a temporary folder: what the runtime benchmarks run on.</summary>
public sealed class MicroBenchModels : IDisposable
{
    /// <summary>Small enough that setup takes a second; the code paths are the same at any size.</summary>
    const string Shape = "260K";

    public MicroBenchModels()
    {
        Root = Path.Combine(Path.GetTempPath(), "adapters-microbench-" + Guid.NewGuid().ToString("N"));
        Workspace = BenchWorkspace.Create(RandomCheckpoint.Create(ModelShapes.Get(Shape)), Root, threads: 1, seed: 0, log: _ => { });
    }

    public string Root { get; }
    public BenchWorkspace Workspace { get; }

    public OnnxDecoderModel Load(string folder) => OnnxDecoderModel.Load(folder, new OnnxRuntimeOptions { Provider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1, Log = _ => { } });

    public static LoadedAdapter Adapter(OnnxDecoderModel model, string name) =>
        LoadedAdapter.Read(name, BenchWorkspace.AdapterManifest(model.Exported.Folder, name), model.Exported);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
