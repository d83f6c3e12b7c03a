using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Adapters.Runtime.Chat;

/// <summary>Registers an <see cref="AdaptersChatClient"/> as the application's <see cref="IChatClient"/>.</summary>
public static class AdaptersChatClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="IChatClient"/> over the exported folder <paramref name="folder"/>,
    /// opened on first use and disposed with the service provider.
    /// </summary>
    public static IServiceCollection AddAdaptersChatClient(this IServiceCollection services, string folder, AdaptersChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        services.AddSingleton<IChatClient>(_ => AdaptersChatClient.Open(folder, options));
        return services;
    }
}
