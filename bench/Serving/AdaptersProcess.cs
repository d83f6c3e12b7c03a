using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Adapters.Bench.Serving;

/// <summary>
/// An `adapters serve` or `adapters router` child process: started from the adapters.dll beside
/// this assembly, ready once it prints its URL on stdout, killed abruptly (SIGKILL, as a crashed or
/// evicted pod dies) or restarted on the same port, and stopped gracefully when disposed. Its
/// stderr is kept (the last lines) for errors.
/// </summary>
public sealed partial class AdaptersProcess : IDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    readonly string _command;
    readonly IReadOnlyList<string> _arguments;
    readonly Queue<string> _stderr = new();
    Process? _process;

    AdaptersProcess(string command, IReadOnlyList<string> arguments)
    {
        _command = command;
        _arguments = arguments;
    }

    /// <summary>Where it listens (known once started; kept across restarts).</summary>
    public Uri Url { get; private set; } = null!;

    public bool Running => _process is { HasExited: false };

    /// <summary>Starts `adapters <paramref name="command"/> <paramref name="arguments"/> --port 0` and waits until it serves.</summary>
    public static async Task<AdaptersProcess> StartAsync(string command, IReadOnlyList<string> arguments)
    {
        var process = new AdaptersProcess(command, arguments);
        process.Url = await process.LaunchAsync(0);
        return process;
    }

    /// <summary>SIGKILL: no drain, open connections reset.</summary>
    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already gone
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts it again on the port it had.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await LaunchAsync(Url.Port);
    }

    async Task<Uri> LaunchAsync(int port)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "adapters.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"adapters.dll is not beside {typeof(AdaptersProcess).Assembly.GetName().Name}.dll; build the cli project", dll);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["exec", dll, _command, .. _arguments, "--port", port.ToString()]) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new IOException($"cannot start adapters {_command}");
        _process = process;
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && UrlPattern().Match(line) is { Success: true } m) ready.TrySetResult(new Uri(m.Value));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
            {
                _stderr.Enqueue(e.Data);
                while (_stderr.Count > 40) _stderr.Dequeue();
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new IOException($"adapters {_command} exited with {SafeExitCode(process)} before serving: {LastErrors()}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var first = await Task.WhenAny(ready.Task, Task.Delay(StartTimeout));
        if (first != ready.Task)
        {
            Kill();
            throw new TimeoutException($"adapters {_command} did not serve within {StartTimeout.TotalSeconds} s: {LastErrors()}");
        }
        return await ready.Task;
    }

    static string SafeExitCode(Process p)
    {
        try { return p.ExitCode.ToString(); }
        catch (InvalidOperationException) { return "?"; }
    }

    /// <summary>The last lines it wrote on stderr.</summary>
    public string LastErrors()
    {
        lock (_stderr) return string.Join(" | ", _stderr.TakeLast(8));
    }

    [GeneratedRegex(@"http://[^\s/]+/")]
    private static partial Regex UrlPattern();

    /// <summary>
    /// SIGTERM, as an orchestrator stops a pod: the child drains and deletes its temporary folders
    /// (its adapter store). SIGKILL after <see cref="StopTimeout"/>, or where there is no SIGTERM.
    /// </summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!OperatingSystem.IsWindows() && !_process.HasExited && kill(_process.Id, SigTerm) == 0)
            _process.WaitForExit(StopTimeout);
        Kill();
    }

    static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    /// <summary>Stops it gracefully (<see cref="Stop"/>); a scenario's deliberate crash is <see cref="Kill"/>.</summary>
    public void Dispose() => Stop();
}
