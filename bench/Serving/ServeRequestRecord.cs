namespace Adapters.Bench.Serving;

/// <summary>How one request of the load generator ended.</summary>
public enum ServeOutcome
{
    /// <summary>A 2xx with a complete answer (a stream ended with [DONE]).</summary>
    Completed,

    /// <summary>An HTTP error status (see <see cref="ServeRequestRecord.Status"/>).</summary>
    HttpError,

    /// <summary>A stream that started (status 200, some bytes) and broke before [DONE].</summary>
    BrokenStream,

    /// <summary>No HTTP answer at all (connection refused or reset before the status line).</summary>
    NoAnswer,
}

/// <summary>One request sent by <see cref="ServeLoadGenerator"/>; times are seconds from the run's start.</summary>
public sealed record ServeRequestRecord
{
    public required int Index { get; init; }
    public required string Model { get; init; }
    public required bool Stream { get; init; }
    public required double Start { get; init; }
    public double End { get; init; }
    public ServeOutcome Outcome { get; init; }

    /// <summary>HTTP status; 0 when none came.</summary>
    public int Status { get; init; }

    /// <summary>The router's x-adapters-replica / x-adapters-route headers, the replica's x-adapters-cache header (null when absent).</summary>
    public string? Replica { get; init; }
    public string? Route { get; init; }
    public string? Cache { get; init; }

    /// <summary>Seconds from sending to the first text piece (streams) or to the whole answer.</summary>
    public double? FirstToken { get; init; }

    /// <summary>Mean seconds between later text pieces of a stream.</summary>
    public double? PerToken { get; init; }

    public int Tokens { get; init; }
    public string? Error { get; init; }
}
