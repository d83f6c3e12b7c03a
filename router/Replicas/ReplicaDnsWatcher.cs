using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Adapters.Router.Replicas;

/// <summary>
/// Resolves --replica-dns NAME:PORT now and then again every refresh period: a Kubernetes headless
/// Service answers with the addresses of its ready pods, so replicas that start, stop or move are
/// found without restarting the router. A failed lookup keeps the last answer.
/// </summary>
public sealed class ReplicaDnsWatcher : IAsyncDisposable
{
    readonly ReplicaDirectory _directory;
    readonly ReplicaDnsName _name;
    readonly TimeSpan _refresh;
    readonly ILogger _log;
    readonly CancellationTokenSource _stop = new();
    Task? _loop;

    public ReplicaDnsWatcher(ReplicaDirectory directory, ReplicaDnsName name, TimeSpan refresh, ILogger log)
    {
        _directory = directory;
        _name = name;
        _refresh = refresh;
        _log = log;
    }

    /// <summary>Resolves once (so the first requests find the replicas), then keeps refreshing in the background.</summary>
    public async Task StartAsync()
    {
        await ResolveAsync();
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(_refresh);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token)) await ResolveAsync();
            }
            catch (OperationCanceledException) { }
        });
    }

    async Task ResolveAsync()
    {
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(_name.Host, _stop.Token);
            var urls = addresses.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Select(a => ReplicaDirectory.UrlOf(a, _name.Port)).ToList();
            if (urls.Count == 0) _log.LogWarning("replica DNS {Name} has no addresses yet", _name.Host);
            _directory.SetResolved(urls);
        }
        catch (SocketException e)
        {
            _log.LogWarning("replica DNS {Name} did not resolve ({Message}); keeping the last answer", _name.Host, e.Message);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
