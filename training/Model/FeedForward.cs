using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj x) · up_proj x), i.e. w2(silu(w1 x) · w3 x).</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are HF module names (model.layers.N.mlp.gate_proj ...)
    nn.Module<Tensor, Tensor> gate_proj; // w1 [hidden_dim, dim]
    nn.Module<Tensor, Tensor> up_proj;   // w3 [hidden_dim, dim]
    nn.Module<Tensor, Tensor> down_proj; // w2 [dim, hidden_dim]
#pragma warning restore IDE1006
    readonly Dictionary<string, LinearProjection> _baseProjections;

    /// <summary>Takes ownership of the projections.</summary>
    public FeedForward(LinearProjection w1, LinearProjection w3, LinearProjection w2) : base(nameof(FeedForward))
    {
        gate_proj = w1;
        up_proj = w3;
        down_proj = w2;
        _baseProjections = new() { ["gate_proj"] = w1, ["up_proj"] = w3, ["down_proj"] = w2 };
        RegisterComponents();
    }

    /// <summary>The module currently computing a projection (the base one, or an adapter around it).</summary>
    public nn.Module<Tensor, Tensor> GetProjection(string projection) => projection switch
    {
        "gate_proj" => gate_proj,
        "up_proj" => up_proj,
        "down_proj" => down_proj,
        _ => throw Projections.Unknown(projection),
    };

    /// <summary>The original frozen projection, whatever currently wraps it.</summary>
    public LinearProjection BaseProjection(string projection) =>
        _baseProjections.TryGetValue(projection, out var p) ? p : throw Projections.Unknown(projection);

    /// <summary>
    /// Puts <paramref name="replacement"/> in place of a projection under the same module name and
    /// returns the module it replaced. Takes ownership of the replacement; the base projection stays
    /// owned by this module.
    /// </summary>
    public nn.Module<Tensor, Tensor> SetProjection(string projection, nn.Module<Tensor, Tensor> replacement)
    {
        var previous = GetProjection(projection);
        switch (projection)
        {
            case "gate_proj": gate_proj = replacement; break;
            case "up_proj": up_proj = replacement; break;
            case "down_proj": down_proj = replacement; break;
        }
        // TorchSharp refuses to register a name twice: drop the old registration first.
        register_module(projection, null!);
        register_module(projection, replacement);
        return previous;
    }

    /// <param name="x">Normalised input [batch, seq, dim].</param>
    /// <returns>[batch, seq, dim]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // 1. gate and up projections [batch, seq, hidden_dim]
        var gate = gate_proj.call(x);
        var up = up_proj.call(x);
        // 2. SiLU-gated product
        var hidden = nn.functional.silu(gate) * up;
        // 3. back to the model width
        return down_proj.call(hidden).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            foreach (var p in _baseProjections.Values) p.Dispose();
    }
}
