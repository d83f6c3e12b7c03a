using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// LoReFT, h + Rᵀ(W h + b − R h) = h + Rᵀ((W − R) h + b): the residual edit with V = W − R,
/// U = R. Not a weight delta: it acts on chosen prompt positions only, so it is never fused.
/// </summary>
public sealed class LoReftExportRule : IAdapterExportRule
{
    public string Method => AdapterMethods.LoReft;

    public AdapterGraphValues GraphValues(AdapterFolder adapter, AdapterExportContext context) =>
        ResidualEditValues.Build(adapter, context.Model, (tensors, prefix) =>
        {
            var r = tensors[$"{prefix}.R"].Data;
            var w = tensors[$"{prefix}.W"].Data;
            var v = new float[w.Length];
            for (int i = 0; i < v.Length; i++) v[i] = w[i] - r[i];
            return (v, tensors[$"{prefix}.b"].Data, r);
        });
}
