using Adapters.Host.Admin;
using Adapters.Runtime.Backends;
using Adapters.Host.Completions;
using Adapters.Host.Metrics;

namespace Adapters.Host;

/// <summary>Everything the endpoints share for one running server.</summary>
internal sealed record HostState(
    HostServerOptions Options,
    ICompletionBackend Backend,
    IAdapterAdmin Admin,
    AdminTokenCheck AdminToken,
    AdapterPathPolicy AdapterPaths,
    AdmissionControl Admission,
    HostMetrics Metrics,
    CancellationToken Stopping,
    LazyAdapterStore? Store = null);
