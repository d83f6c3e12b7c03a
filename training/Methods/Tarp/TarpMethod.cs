using Adapters.Training.Model;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods.Projection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Tarp;

/// <summary>
/// TARP (<see cref="TarpConfig"/>), per target projection W [out, in] and token x:
/// y = (W ⊙ (1 + U V)) x + B Φ(x) A x, with Φ(x) = C + reshape(P x, [r, r]) for "tarp" and
/// Φ = C for "tarp-static". U, C, P start at zero, so the adapter starts as the identity edit;
/// V, A, B ~ U(±1/√fan_in) so that U, C and P receive gradients from the first step.
/// </summary>
public sealed class TarpMethod : ProjectionAdapterMethod
{
    readonly Dictionary<(int, string), Factors> _factors = [];
    readonly int _rank;

    sealed record Factors(Parameter U, Parameter V, Parameter A, Parameter B, Parameter C, Parameter? P);

    /// <param name="name"><see cref="AdapterMethods.Tarp"/> or <see cref="AdapterMethods.TarpStatic"/>.</param>
    public TarpMethod(string name, TarpConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init) : base(name)
    {
        if (name is not (AdapterMethods.Tarp or AdapterMethods.TarpStatic)) throw new ArgumentException($"'{name}' is not a TARP method");
        Config = config.Validate(model);
        _rank = config.Rank;
        int r = config.Rank;
        foreach (int layer in config.LayersOf(model))
            foreach (string projection in config.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, projection);
                AddTarget(layer, projection);
                Parameter New(string tensor, Tensor values) => AddParameter(AdapterTensorNames.Of(layer, projection, name, tensor), values);
                var u = New(TarpSchema.U, zeros([o, r], dtype, device));
                var v = New(TarpSchema.V, ParameterInit.KaimingUniform(r, i, init, dtype, device));
                var a = New(TarpSchema.A, ParameterInit.KaimingUniform(r, i, init, dtype, device));
                var b = New(TarpSchema.B, ParameterInit.KaimingUniform(o, r, init, dtype, device));
                var c = New(TarpSchema.Core, zeros([r, r], dtype, device));
                var p = name == AdapterMethods.Tarp ? New(TarpSchema.CoreMap, zeros([r * r, i], dtype, device)) : null;
                _factors[(layer, projection)] = new Factors(u, v, a, b, c, p);
            }
    }

    public TarpConfig Config { get; }
    public override JsonObject Hyperparameters => AdapterManifest.ToJsonObject(Config);

    /// <summary>(W ⊙ U V) x + B Φ(x) A x: the base projection W x is added by the wrapper.</summary>
    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight)
    {
        using var scope = NewDisposeScope();
        var f = _factors[(layer, projection)];
        // 1. multiplicative low-rank scale: W ⊙ (1 + U V) − W = W ⊙ U V
        var scaled = nn.functional.linear(x, weight * matmul(f.U, f.V));
        // 2. rank-r code of the token, A x [..., r]
        var code = nn.functional.linear(x, f.A);
        // 3. core: constant C, plus a per-token r×r matrix P x for the dynamic variant
        Tensor cored;
        if (f.P is null) cored = nn.functional.linear(code, f.C);
        else
        {
            var core = KeptScalars.Plus(f.C, nn.functional.linear(x, f.P).reshape([.. x.shape[..^1], _rank, _rank]));
            cored = matmul(core, code.unsqueeze(-1)).squeeze(-1);
        }
        // 4. back to the output space with B
        return KeptScalars.Plus(scaled, nn.functional.linear(cored, f.B)).MoveToOuterDisposeScope();
    }
}
