namespace Adapters.Router;

/// <summary>The NAME:PORT of --replica-dns, e.g. adapters-replicas.default.svc.cluster.local:8000.</summary>
public sealed record ReplicaDnsName(string Host, int Port)
{
    public static ReplicaDnsName Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"--replica-dns must be NAME:PORT (a DNS name and a port in 1..65535), got '{text}'");
        string host = text[..colon];
        if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
            throw new ArgumentException($"--replica-dns: '{host}' is not a DNS name");
        return new ReplicaDnsName(host, port);
    }
}
