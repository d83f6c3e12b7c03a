using Adapters.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Trainer;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019), as torch.optim.AdamW: with gradient g at step t,
/// p ← p − lr·λ·p; m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
/// p ← p − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε).
/// Written here rather than taken from TorchSharp so its whole state (t, m, v) is plain tensors
/// that a checkpoint saves and restores exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    readonly Tensor[] _m; // first moments, one per parameter, same shape
    readonly Tensor[] _v; // second moments
    readonly double _beta1, _beta2, _epsilon, _weightDecay;

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double beta1, double beta2, double epsilon, double weightDecay)
    {
        _parameters = parameters;
        _m = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        _v = parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        (_beta1, _beta2, _epsilon, _weightDecay) = (beta1, beta2, epsilon, weightDecay);
    }

    /// <summary>Steps taken (t).</summary>
    public int StepCount { get; private set; }

    public void Step(double learningRate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        StepCount++;
        double correction1 = 1 - Math.Pow(_beta1, StepCount);
        double correction2 = 1 - Math.Pow(_beta2, StepCount);
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Parameter;
            if (p.grad is not { } g) continue;
            // 1. decoupled weight decay
            if (_weightDecay != 0) p.mul_(1 - learningRate * _weightDecay);
            // 2. moment estimates
            _m[i].mul_(_beta1).add_(g, alpha: 1 - _beta1);
            _v[i].mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            // 3. bias-corrected step
            var denominator = (_v[i] / correction2).sqrt_().add_(_epsilon);
            p.addcdiv_(_m[i], denominator, value: -learningRate / correction1);
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters)
            if (p.grad is { } g) { g.zero_(); }
    }

    /// <summary>m and v as float32 tensors named "{parameter}.exp_avg" / ".exp_avg_sq" (PyTorch's state names).</summary>
    public IEnumerable<TensorData> ExportState()
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            yield return ToData(_parameters[i].Name + ".exp_avg", _m[i]);
            yield return ToData(_parameters[i].Name + ".exp_avg_sq", _v[i]);
        }
    }

    public void ImportState(int stepCount, IReadOnlyDictionary<string, TensorData> state)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            Load(_m[i], _parameters[i].Name + ".exp_avg");
            Load(_v[i], _parameters[i].Name + ".exp_avg_sq");
        }
        StepCount = stepCount;

        void Load(Tensor target, string name)
        {
            if (!state.TryGetValue(name, out var t)) throw new InvalidDataException($"optimizer state '{name}' is missing");
            if (!t.Shape.Select(d => (long)d).SequenceEqual(target.shape))
                throw new InvalidDataException($"optimizer state '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", target.shape)}]");
            using var values = tensor(t.Data, target.shape, ScalarType.Float32);
            target.copy_(values);
        }
    }

    static TensorData ToData(string name, Tensor t)
    {
        using var scope = NewDisposeScope();
        var host = t.detach().to(ScalarType.Float32, CPU).contiguous();
        return new TensorData(name, host.shape.Select(d => checked((int)d)).ToArray(), host.data<float>().ToArray());
    }

    public void Dispose()
    {
        foreach (var t in _m) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }
}
