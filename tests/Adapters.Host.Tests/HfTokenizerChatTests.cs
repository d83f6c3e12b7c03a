using System.Net;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Runtime;
using Adapters.Runtime.Backends;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// A random model exported with the real Qwen3 tokenizer folder: export copies tokenizer.json and
/// tokenizer_config.json, the manifest takes the tokenizer's EOS, and the host applies Qwen3's
/// ChatML template — the prompt tokens it reports are the template's rendering tokenized.
/// </summary>
public sealed class HfTokenizerChatTests
{
    [Fact]
    public async Task Qwen3_tokenizer_folder_exports_and_serves_chat()
    {
        string root = SharedModels.NewTempFolder("qwen-chat");
        try
        {
            var config = new LlamaConfig { Dim = 32, HiddenDim = 64, NumLayers = 1, NumHeads = 4, NumKvHeads = 2, VocabSize = 151936, MaxSeqLen = 128 };
            string folder = Path.Combine(root, "model");
            var manifest = LlamaOnnxExporter.Export(RandomCheckpoint.Create(config, seed: 3), folder,
                new LlamaExportOptions { TokenizerPath = HfTokenizerFiles.Folder("qwen3"), IntraOpThreads = 2 });
            Assert.True(File.Exists(Path.Combine(folder, "tokenizer.json")));
            Assert.True(File.Exists(Path.Combine(folder, "tokenizer_config.json")));
            Assert.Equal(151645, manifest.EosTokenId); // <|im_end|>

            await using var backend = SessionPerRequestBackend.Load(folder, "qwen-random", 1, new OnnxRuntimeOptions { IntraOpThreads = 2, Log = _ => { } });
            Assert.NotNull(backend.Chat);
            await using var server = await HostServer.StartAsync(new HostServerOptions(), backend, new FakeAdapterAdmin(new FakeBackend()));
            using var client = HttpHelpers.NewClient(server.Url);
            var response = await client.PostJsonAsync("/v1/chat/completions",
                "{\"model\": \"qwen-random\", \"messages\": [{\"role\": \"user\", \"content\": \"你好\"}], \"max_tokens\": 3, \"temperature\": 0}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await response.ReadJsonAsync();
            var expected = backend.Tokenizer.Encode("<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n", addBos: false);
            Assert.Equal(expected.Count, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
