using System.Security.Cryptography;
using System.Text;

namespace Adapters.Host.Admin;

/// <summary>
/// The bearer-token check of the admin endpoints. The token is read once from a file (so it never
/// appears on a command line or in a process listing); with no file configured every caller is
/// admitted, which <see cref="HostServerOptions.Validate"/> allows only on a loopback address.
/// </summary>
public sealed class AdminTokenCheck
{
    const string BearerPrefix = "Bearer ";

    readonly byte[]? _expectedHash;

    AdminTokenCheck(byte[]? expectedHash) => _expectedHash = expectedHash;

    public static AdminTokenCheck Open { get; } = new(null);

    public bool Required => _expectedHash is not null;

    /// <summary>Reads the token (surrounding whitespace and the trailing newline trimmed).</summary>
    /// <exception cref="ArgumentException">The file is empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static AdminTokenCheck FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"admin token file not found: {path}", path);
        string token = File.ReadAllText(path).Trim();
        if (token.Length == 0) throw new ArgumentException($"admin token file is empty: {path}");
        return new(Hash(token));
    }

    /// <summary>
    /// True when no token is required, or the Authorization header carries it. Both sides are
    /// hashed first so the fixed-time comparison also hides the token's length.
    /// </summary>
    public bool IsAuthorized(string? authorizationHeader)
    {
        if (_expectedHash is null) return true;
        if (authorizationHeader is null || !authorizationHeader.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] provided = Hash(authorizationHeader[BearerPrefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(provided, _expectedHash);
    }

    static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
