namespace Adapters.Runtime;

/// <summary>The execution provider a session actually runs on.</summary>
public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
}
