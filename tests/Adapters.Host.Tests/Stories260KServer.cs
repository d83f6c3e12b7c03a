using Adapters.Core.Checkpoints;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Runtime;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// stories260K exported once to a temporary folder and served by a real <see cref="HostServer"/>
/// on a loopback port, with an admin token file and an adapter root; plus the same export loaded
/// directly, as the reference the server's answers are compared with.
/// </summary>
public sealed class Stories260KServer : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-7f3a";
    public const string ModelName = "stories260K";

    /// <summary>Two threads: the CI machines have two cores.</summary>
    const int Threads = 2;

    public string Root { get; } = SharedModels.NewTempFolder("host-tests");
    public string ModelFolder => Path.Combine(Root, "model");
    public string AdapterRoot => Path.Combine(Root, "adapters");
    public string Outside => Path.Combine(Root, "outside");
    public HostServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public OnnxDecoderModel Reference { get; private set; } = null!;
    public ITokenizer Tokenizer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        LlamaOnnxExporter.Export(Llama2cCheckpoint.Read(SharedModels.Stories260K), ModelFolder,
            new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = Threads });
        Directory.CreateDirectory(Path.Combine(AdapterRoot, "secret-lora"));
        Directory.CreateDirectory(Outside);
        string tokenFile = Path.Combine(Root, "admin.token");
        await File.WriteAllTextAsync(tokenFile, AdminToken + "\n");

        Reference = OnnxDecoderModel.Load(ModelFolder, new OnnxRuntimeOptions { IntraOpThreads = Threads, Log = _ => { } });
        Tokenizer = TokenizerLoader.Load(SharedModels.Tok512, Reference.Config.VocabSize);
        Server = await HostServer.StartAsync(new HostServerOptions
        {
            ModelFolder = ModelFolder,
            ServedModelName = ModelName,
            AdapterRoots = [AdapterRoot],
            AdminTokenFile = tokenFile,
            IntraOpThreads = Threads,
        });
        Client = HttpHelpers.NewClient(Server.Url);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Reference.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // a leftover temp folder is harmless
    }
}
