using Spectre.Console;

namespace Adapters.Cli;

/// <summary>
/// Shows progress of long work on stderr: a live Spectre.Console bar when stderr is a terminal,
/// otherwise one plain line per <see cref="LineEvery"/> updates (logs and CI stay readable).
/// </summary>
public sealed class ProgressReporter
{
    const int LineEvery = 10;
    readonly CliConsole _console;

    public ProgressReporter(CliConsole console) => _console = console;

    bool Interactive => ReferenceEquals(_console.Error, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="work"/>, which reports (done, total, status text) through the callback.</summary>
    public T Run<T>(string title, int total, Func<Action<int, string>, T> work)
    {
        if (!Interactive)
        {
            int calls = 0;
            return work((done, status) =>
            {
                if (++calls % LineEvery == 0 || done >= total) _console.Info($"{title} {done}/{total} {status}");
            });
        }
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_console.Error) });
        T result = default!;
        ansi.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: total);
                result = work((done, status) =>
                {
                    task.Value = done;
                    task.Description = $"{title} {status}";
                });
            });
        return result;
    }
}
