namespace Adapters.Core.IO;

/// <summary>The whole content of one file read once by <see cref="UntrustedFile"/>: the path as named, where it really was, and its bytes.</summary>
public sealed record FileBytes(string Path, string RealPath, byte[] Bytes);
