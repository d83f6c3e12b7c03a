namespace Adapters.Runtime.Backends;

/// <summary>What a served model name refers to; /v1/models reports it as "base" or "adapter".</summary>
public enum ModelKind
{
    Base,
    Adapter,
}
