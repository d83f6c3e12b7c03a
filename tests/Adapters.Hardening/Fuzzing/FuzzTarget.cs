namespace Adapters.Hardening.Fuzzing;

/// <summary>
/// One reader under fuzzing: valid seed files, and what to do with one (mutated) input. The reader
/// may refuse an input only with its documented exception (<see cref="Core.IO.InvalidFileException"/>);
/// any other exception is a crash, and not returning within the hang limit a hang. <see cref="Run"/>
/// gets the index of the seed the input was made from (readers of two files pair it with its partner).
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Action<int, byte[]> Run);
