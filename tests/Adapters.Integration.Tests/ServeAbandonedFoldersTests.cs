using Adapters.Core.IO;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters serve` deletes, before it starts, the temporary folders that killed servers left
/// behind (their owner file no longer locked), says how many, and leaves a live server's alone.
/// Run as a child process with its own TMPDIR, so no other test's folders are in its temporary folder.
/// </summary>
public sealed class ServeAbandonedFoldersTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("serve-abandoned");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_deletes_and_reports_a_killed_servers_store_and_keeps_a_live_ones()
    {
        string temp = Directory.CreateDirectory(Path.Combine(_dir, "tmp")).FullName;
        string abandoned = Directory.CreateDirectory(Path.Combine(temp, "adapters-store-killed")).FullName;
        File.WriteAllText(Path.Combine(abandoned, OwnedTempFolder.OwnerFileName), "");
        File.WriteAllText(Path.Combine(abandoned, "copy.onnx_adapter"), "values");
        // A live server's folder: its owner file held locked (by this process, as its owner would).
        string live = Directory.CreateDirectory(Path.Combine(temp, "adapters-host-live")).FullName;
        using var owner = new FileStream(Path.Combine(live, OwnedTempFolder.OwnerFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);

        // A model folder that does not exist: the server sweeps, then stops with one error line.
        using var process = CliProcess.Start(["serve", "--model", Path.Combine(_dir, "no-such-model"), "--port", "0"], new Dictionary<string, string> { ["TMPDIR"] = temp });
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, process.ExitCode);
        Assert.Contains(lines, l => l.StartsWith("serve: deleted 1 temporary folder(s)", StringComparison.Ordinal) && l.Contains(temp, StringComparison.Ordinal));
        Assert.StartsWith("error: ", lines[^1]);
        Assert.False(Directory.Exists(abandoned));
        Assert.True(File.Exists(Path.Combine(live, OwnedTempFolder.OwnerFileName)));
    }
}
