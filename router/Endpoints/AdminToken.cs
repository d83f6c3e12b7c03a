using System.Security.Cryptography;
using System.Text;

namespace Adapters.Router.Endpoints;

/// <summary>The router's admin bearer token (read once from --admin-token-file), compared in constant time; none = open (loopback only).</summary>
public sealed class AdminToken
{
    readonly byte[]? _expected;

    AdminToken(byte[]? expected) => _expected = expected;

    public static AdminToken Open { get; } = new(null);

    /// <exception cref="ArgumentException">The file is missing or holds no token.</exception>
    public static AdminToken FromFile(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"admin token file not found: {path}");
        string token = File.ReadAllText(path).Trim();
        if (token.Length == 0) throw new ArgumentException($"admin token file is empty: {path}");
        return new AdminToken(Encoding.UTF8.GetBytes("Bearer " + token));
    }

    public bool IsAuthorized(string? header) =>
        _expected is null || (header is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expected));
}
