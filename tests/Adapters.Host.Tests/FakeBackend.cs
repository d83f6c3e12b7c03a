using System.Runtime.CompilerServices;
using Adapters.Core.Tokenizers;
using Adapters.Runtime.Backends;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// A backend whose pace the test controls: each job waits for <see cref="Release"/> (when
/// <see cref="Gated"/>), then yields <see cref="TokensPerJob"/> copies of one token with
/// <see cref="Delay"/> between them. Records starts and cancellations, so back-pressure,
/// disconnect and shutdown can be observed without a model.
/// </summary>
public sealed class FakeBackend : ICompletionBackend
{
    public const string Name = "fake-base";

    readonly SemaphoreSlim _gate = new(0);
    readonly List<ModelInfo> _models = [new ModelInfo { Id = Name, Kind = ModelKind.Base }];
    int _started, _cancelled, _completed;

    public FakeBackend() => Tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);

    public bool Gated { get; init; }
    public int TokensPerJob { get; init; } = 5;
    public TimeSpan Delay { get; init; } = TimeSpan.Zero;

    /// <summary>The token every step yields: " the" in tok512, so each step adds visible text.</summary>
    public int Token => Tokenizer.Encode(" the", addBos: false)[^1];

    public string BaseModelName => Name;
    public ITokenizer Tokenizer { get; }
    public IReadOnlySet<int> StopTokens { get; } = new HashSet<int> { 2 };
    public Adapters.Core.Chat.ChatFormat? Chat { get; init; }
    public int ContextLength => 512;
    public IReadOnlyList<ModelInfo> Models { get { lock (_models) return [.. _models]; } }
    public bool Serves(string model) { lock (_models) return _models.Any(m => m.Id == model); }

    public int Started => Volatile.Read(ref _started);
    public int Cancelled => Volatile.Read(ref _cancelled);
    public int Completed => Volatile.Read(ref _completed);

    public void AddModel(ModelInfo model) { lock (_models) _models.Add(model); }
    public void Release(int jobs = 1) => _gate.Release(jobs);

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(CompletionJob job, [EnumeratorCancellation] CancellationToken cancel)
    {
        if (!Models.Any(m => m.Id == job.Model)) throw new UnknownModelException(job.Model);
        Interlocked.Increment(ref _started);
        try
        {
            if (Gated) await _gate.WaitAsync(cancel);
            for (int i = 0; i < Math.Min(TokensPerJob, job.MaxTokens); i++)
            {
                if (i > 0 && Delay > TimeSpan.Zero) await Task.Delay(Delay, cancel);
                yield return new GeneratedToken(Token);
            }
            Interlocked.Increment(ref _completed);
        }
        finally
        {
            if (cancel.IsCancellationRequested) Interlocked.Increment(ref _cancelled);
        }
    }

    public async Task WaitUntilAsync(Func<FakeBackend, bool> condition, string what)
    {
        // Polling with a deadline: the events come from server threads, and a missed one should fail, not hang.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
