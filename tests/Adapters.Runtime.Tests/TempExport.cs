using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>An exported model in a fresh temporary folder, deleted on dispose.</summary>
public sealed class TempExport : IDisposable
{
    public TempExport(LlamaWeights weights, LlamaExportOptions? options = null)
    {
        Root = SharedModels.NewTempFolder("onnx-export");
        Folder = Path.Combine(Root, "model");
        try
        {
            Manifest = LlamaOnnxExporter.Export(weights, Folder, options ?? new LlamaExportOptions { IntraOpThreads = 2 });
        }
        catch
        {
            Dispose(); // tests that expect the export to be refused never get an object to dispose
            throw;
        }
        Weights = weights;
    }

    public string Root { get; }
    public string Folder { get; }
    public ExportedModelManifest Manifest { get; }
    public LlamaWeights Weights { get; }

    public OnnxDecoderModel Load() => OnnxDecoderModel.Load(Folder, TestRuntime.Options);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // a leftover temp folder is harmless
    }
}
