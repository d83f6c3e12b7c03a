using Adapters.Core.Checkpoints;
using Adapters.Export;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters serve --host ::ffff:127.0.0.1` (issue 14, item 7) as a user runs it, in its own process
/// so the server's real log output is seen: where the address cannot be bound, exactly one
/// `error: cannot listen on …` line and exit code 1 — no host log with a stack trace; where it can,
/// the server serves.
/// </summary>
public sealed class ServeListenFailureTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("serve-listen");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Ipv4_mapped_address_is_one_error_line_or_serves()
    {
        string model = Path.Combine(_dir, "model");
        LlamaOnnxExporter.Export(Llama2cCheckpoint.Read(SharedModels.Stories260K), model, new LlamaExportOptions { TokenizerPath = SharedModels.Tok512 });
        using var process = CliProcess.Start(["serve", "--model", model, "--host", "::ffff:127.0.0.1", "--port", "0"]);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // it bound the address and serves: the other allowed outcome
            await process.WaitForExitAsync();
            Assert.Contains("serving", await stdout);
            return;
        }
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, process.ExitCode);
        var error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: cannot listen on ::ffff:127.0.0.1:0", error);
        Assert.DoesNotContain(lines, l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Equal("", await stdout);
    }
}
