using Adapters.Core.IO;

namespace Adapters.Host.Admin;

/// <summary>How <see cref="RegistryAdapterAdmin"/> reads the adapters it is asked to load.</summary>
public sealed record AdapterLoadOptions
{
    /// <summary>Generous for reading and converting an adapter of a large model from local disk; a blocked read must not hold a load for ever.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Loads reading files at once; more wait for a place (up to their time limit).</summary>
    public const int DefaultMaxConcurrentLoads = 4;

    /// <summary>The adapter roots every file must lie in (checked on the open handles); null = no roots, every load refused.</summary>
    public FileConfinement? Roots { get; init; }

    /// <summary>Reading, checking and converting one adapter; beyond it the load is answered 504 and changes nothing.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public int MaxConcurrentLoads { get; init; } = DefaultMaxConcurrentLoads;

    /// <summary>Where training adapters are converted before the registry stores them; default a new temporary folder.</summary>
    public string? StagingFolder { get; init; }

    /// <summary>Tests only: runs in a load's work once its files are read and checked, right before it claims the commit.</summary>
    internal Action? BeforeCommit { get; init; }

    public AdapterLoadOptions Validate()
    {
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"the adapter load timeout must be positive, got {Timeout}");
        if (MaxConcurrentLoads < 1) throw new ArgumentException($"concurrent adapter loads must be >= 1, got {MaxConcurrentLoads}");
        return this;
    }
}
