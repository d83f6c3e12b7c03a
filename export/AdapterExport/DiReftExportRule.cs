using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>DiReFT, h + W2ᵀ(W1 h + b): the residual edit with V = W1, U = W2. Never fused (prompt positions only).</summary>
public sealed class DiReftExportRule : IAdapterExportRule
{
    public string Method => AdapterMethods.DiReft;

    public AdapterGraphValues GraphValues(AdapterFolder adapter, AdapterExportContext context) =>
        ResidualEditValues.Build(adapter, context.Model, (tensors, prefix) =>
            (tensors[$"{prefix}.W1"].Data, tensors[$"{prefix}.b"].Data, tensors[$"{prefix}.W2"].Data));
}
