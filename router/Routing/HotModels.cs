using System.Diagnostics;

namespace Adapters.Router.Routing;

/// <summary>
/// How often each model was sent to each replica lately: an exponentially decayed request count
/// (half-life <see cref="HalfLife"/>), so "the hottest model at a replica" follows the traffic of
/// the last few seconds. Thread-safe.
/// </summary>
public sealed class HotModels
{
    public static readonly TimeSpan HalfLife = TimeSpan.FromSeconds(10);

    /// <summary>Scores below this are forgotten (a model not asked there for a minute or so).</summary>
    const double Forgotten = 0.01;

    sealed class Score
    {
        public double Value;
        public long Stamp;
    }

    readonly Dictionary<string, Dictionary<string, Score>> _byReplica = new(StringComparer.Ordinal);
    readonly Func<long> _clock;
    readonly Lock _lock = new();

    /// <param name="clock">Stopwatch timestamps; tests pass their own.</param>
    public HotModels(Func<long>? clock = null) => _clock = clock ?? Stopwatch.GetTimestamp;

    public void Record(string replica, string model)
    {
        long now = _clock();
        lock (_lock)
        {
            if (!_byReplica.TryGetValue(replica, out var models)) _byReplica[replica] = models = new(StringComparer.Ordinal);
            if (!models.TryGetValue(model, out var score)) models[model] = score = new Score { Stamp = now };
            score.Value = Decayed(score, now) + 1;
            score.Stamp = now;
        }
    }

    /// <summary>True when no model was sent to <paramref name="replica"/> more often lately than <paramref name="model"/> (and it was sent there at all).</summary>
    public bool IsHottest(string replica, string model)
    {
        long now = _clock();
        lock (_lock)
        {
            if (!_byReplica.TryGetValue(replica, out var models) || !models.TryGetValue(model, out var own)) return false;
            double mine = Decayed(own, now);
            bool hottest = true;
            foreach (var (name, score) in models.ToList())
            {
                double value = Decayed(score, now);
                if (value < Forgotten) models.Remove(name);
                else if (value > mine) hottest = false;
            }
            return hottest;
        }
    }

    static double Decayed(Score score, long now) =>
        score.Value * Math.Pow(0.5, Stopwatch.GetElapsedTime(score.Stamp, now).TotalSeconds / HalfLife.TotalSeconds);
}
