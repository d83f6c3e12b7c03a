using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// The CLI on adapter folders a new user or an attacker hands it (issue 14, item 7): a manifest
/// holding JSON null, a link to /dev/zero, a named pipe, a huge sparse file — each is one
/// `error:` line naming the file, exit code 1, no stack trace, no hang, no memory blow-up.
/// </summary>
public sealed class CliHostileFileTests : IDisposable
{
    /// <summary>A refusal is immediate; only a hang gets near this.</summary>
    static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    readonly string _dir = SharedModels.NewTempFolder("cli-hostile");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An ordinary adapter folder (LoRA r=2) to spoil.</summary>
    string AdapterFolder(string name)
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var adapter = RandomAdapters.Lora(weights, seed: 5, rank: 2);
        string folder = Path.Combine(_dir, name);
        Core.Adapters.AdapterFolder.Write(folder, adapter.Manifest, adapter.Tensors.Values);
        return folder;
    }

    string PeftFolder(string name)
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var adapter = RandomAdapters.Lora(weights, seed: 6, rank: 2);
        string folder = Path.Combine(_dir, name);
        PeftLoraFormat.Write(folder, adapter.Manifest.HyperparametersAs<LoraConfig>(), weights.Config, adapter.Tensors);
        return folder;
    }

    /// <summary>`adapters export --adapter FOLDER`, the command of the report, run with a hang limit.</summary>
    async Task<CliRunner.Result> ExportAsync(string adapter)
    {
        string[] args = ["export", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--adapter", adapter, "--out", Path.Combine(_dir, "out")];
        return await Task.Run(() => CliRunner.Run(args)).WaitAsync(HangLimit);
    }

    static void AssertOneError(CliRunner.Result result, params string[] fragments)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)); // no stack trace
        Assert.DoesNotContain("Exception", result.Stderr);
        foreach (string f in fragments) Assert.Contains(f, error);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    [InlineData("{\"method\": null, \"hyperparameters\": null, \"base_model\": null}")]
    public async Task Manifest_that_is_not_an_object_of_the_right_fields_is_one_error_line(string json)
    {
        string folder = AdapterFolder("null-manifest");
        File.WriteAllText(Path.Combine(folder, "manifest.json"), json);

        AssertOneError(await ExportAsync(folder), "manifest.json");
    }

    [Theory]
    [InlineData("manifest.json")]
    [InlineData("adapter.safetensors")]
    [InlineData("adapter_config.json")]
    public async Task Link_to_dev_zero_is_one_error_line_without_reading_it(string which)
    {
        string folder = which == "adapter_config.json" ? PeftFolder("zero") : AdapterFolder("zero");
        SpecialFiles.Link(Path.Combine(folder, which), "/dev/zero");
        long peakBefore = PeakWorkingSet();

        AssertOneError(await ExportAsync(folder), which, "not a regular file");
        Assert.True(PeakWorkingSet() - peakBefore < MemoryGrowthLimit, $"peak memory grew by {(PeakWorkingSet() - peakBefore) >> 20} MiB");
    }

    [Theory]
    [InlineData("manifest.json")]
    [InlineData("adapter.safetensors")]
    [InlineData("adapter_config.json")]
    public async Task Huge_sparse_file_is_one_error_line_naming_the_size_limit(string which)
    {
        string folder = which == "adapter_config.json" ? PeftFolder("huge") : AdapterFolder("huge");
        SpecialFiles.Sparse(Path.Combine(folder, which), 16L << 30);
        long peakBefore = PeakWorkingSet();

        AssertOneError(await ExportAsync(folder), which, "limit");
        Assert.True(PeakWorkingSet() - peakBefore < MemoryGrowthLimit, $"peak memory grew by {(PeakWorkingSet() - peakBefore) >> 20} MiB");
    }

    [Theory]
    [InlineData("manifest.json")]
    [InlineData("adapter.safetensors")]
    [InlineData("adapter_config.json")]
    [InlineData("adapter_model.safetensors")]
    public async Task Named_pipe_is_one_error_line_without_waiting_for_a_writer(string which)
    {
        string folder = which.StartsWith("adapter_", StringComparison.Ordinal) ? PeftFolder("fifo") : AdapterFolder("fifo");
        string fifo = Path.Combine(folder, which);
        SpecialFiles.Fifo(fifo);
        try { AssertOneError(await ExportAsync(folder), which, "not a regular file"); }
        finally { SpecialFiles.ReleaseFifo(fifo); }
    }

    /// <summary>Far above what a stories260K export needs at once, far below reading /dev/zero or 16 GiB.</summary>
    const long MemoryGrowthLimit = 1L << 30;

    static long PeakWorkingSet()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }
}
