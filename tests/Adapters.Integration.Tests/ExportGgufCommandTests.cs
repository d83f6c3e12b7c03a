using System.Text;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters export --format gguf`: the files it writes and the options it refuses. That llama.cpp
/// runs them like our engine is tests/Adapters.LlamaCpp.Tests' job.
/// </summary>
public sealed class ExportGgufCommandTests : IDisposable
{
    readonly string _root = SharedModels.NewTempFolder("gguf-cli");

    string WriteAdapter(string name, AdapterFolder adapter)
    {
        string folder = Path.Combine(_root, name);
        AdapterFolder.Write(folder, adapter.Manifest, adapter.Tensors.Values);
        return folder;
    }

    [Fact]
    public void Export_format_gguf_writes_the_model_and_one_gguf_lora_per_adapter()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        string lora = WriteAdapter("my-lora", RandomAdapters.Lora(weights, seed: 2));
        string outDir = Path.Combine(_root, "gguf");

        var result = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", outDir, "--format", "gguf", "--adapter", lora);

        Assert.True(result.ExitCode == 0, result.Stderr);
        foreach (string file in new[] { Path.Combine(outDir, "model.gguf"), Path.Combine(outDir, "adapters", "my-lora.gguf") })
        {
            Assert.True(File.Exists(file), $"{file} missing; stderr: {result.Stderr}");
            using var stream = File.OpenRead(file);
            var head = new byte[4];
            stream.ReadExactly(head);
            Assert.Equal("GGUF", Encoding.ASCII.GetString(head));
        }
        // float32 weights: the model file holds at least every parameter in 4 bytes.
        Assert.True(new FileInfo(Path.Combine(outDir, "model.gguf")).Length >= weights.Config.ParameterCount() * 4);
    }

    [Fact]
    public void Export_format_gguf_refuses_onnx_only_options_by_name()
    {
        var result = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", Path.Combine(_root, "x"), "--format", "gguf", "--mode", "Fused");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--mode", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Export_format_gguf_refuses_a_reft_adapter_naming_its_method()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        string reft = WriteAdapter("edit", RandomAdapters.Reft(weights, AdapterMethods.LoReft, seed: 1));

        var result = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", Path.Combine(_root, "y"), "--format", "gguf", "--adapter", reft);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("loreft", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_root, "y")));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
