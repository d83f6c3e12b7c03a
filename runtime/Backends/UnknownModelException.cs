namespace Adapters.Runtime.Backends;

/// <summary>A request named a model or adapter that is not loaded; the host answers 404.</summary>
public sealed class UnknownModelException(string model)
    : Exception($"The model '{model}' does not exist or is not loaded")
{
    public string Model { get; } = model;
}
