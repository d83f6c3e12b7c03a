namespace Adapters.Core.IO;

/// <summary>
/// A file or folder whose real path — read from the open handle, every link resolved — lies outside
/// the <see cref="FileConfinement"/> roots (the host answers 403). Says nothing about what is there.
/// </summary>
public sealed class OutsideConfinementException(string path)
    : InvalidFileException(path, "resolves to a place outside the adapter roots (a symbolic link leaving them?)");
