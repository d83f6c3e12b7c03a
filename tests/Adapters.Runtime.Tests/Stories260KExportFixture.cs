using Adapters.Core.Checkpoints;
using Adapters.Export;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>stories260K exported once (with its tok512 tokenizer) and loaded once for all tests that read it.</summary>
public sealed class Stories260KExportFixture : IDisposable
{
    public Stories260KExportFixture()
    {
        Export = new TempExport(Llama2cCheckpoint.Read(SharedModels.Stories260K),
            new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = 2 });
        Model = Export.Load();
    }

    public TempExport Export { get; }
    public OnnxDecoderModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        Export.Dispose();
    }
}
