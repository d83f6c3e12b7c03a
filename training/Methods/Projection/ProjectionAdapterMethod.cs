using System.Text.Json.Nodes;
using Adapters.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Projection;

/// <summary>
/// Shared machinery of methods that add an update to chosen projections, y = W x + u(x)
/// (structured deltas, GMT, TARP): owns the parameters, wraps each target projection on
/// <see cref="Attach"/> and restores it exactly on <see cref="Detach"/>. A subclass registers its
/// parameters and computes u(x) for one target; the base weight W is passed in for methods that
/// scale it.
/// </summary>
public abstract class ProjectionAdapterMethod : IAdapterMethod
{
    readonly List<(string Name, Parameter Parameter)> _parameters = [];
    readonly List<(int Layer, string Projection)> _targets = [];
    readonly List<(int Layer, string Projection, nn.Module<Tensor, Tensor> Previous, ProjectionUpdateLinear Wrapper)> _attached = [];

    protected ProjectionAdapterMethod(string name) => Name = name;

    public string Name { get; }
    public abstract JsonObject Hyperparameters { get; }
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;
    public IReadOnlyList<(int Layer, string Projection)> Targets => _targets;
    public LlamaModel? AttachedModel { get; private set; }
    public bool Training { get; set; } = true;

    /// <summary>u(x) [..., out] for input x [..., in] of one target; <paramref name="weight"/> is its frozen W [out, in].</summary>
    protected abstract Tensor Update(int layer, string projection, Tensor x, Tensor weight);

    protected void AddTarget(int layer, string projection) => _targets.Add((layer, projection));

    /// <summary>Takes ownership of <paramref name="values"/> as a trainable parameter named <paramref name="name"/>.</summary>
    protected Parameter AddParameter(string name, Tensor values)
    {
        var p = new Parameter(values, requires_grad: true);
        p.DetachFromDisposeScope();
        _parameters.Add((name, p));
        return p;
    }

    public void Attach(LlamaModel model)
    {
        if (AttachedModel is not null) throw new InvalidOperationException($"this {Name} adapter is already attached to a model");
        foreach (var (layer, projection) in _targets)
        {
            var current = model.GetProjection(layer, projection);
            var weight = model.BaseProjection(layer, projection).Weight;
            int l = layer;
            string p = projection;
            var wrapper = new ProjectionUpdateLinear(current, x => Update(l, p, x, weight));
            model.SetProjection(layer, projection, wrapper);
            _attached.Add((layer, projection, current, wrapper));
        }
        AttachedModel = model;
    }

    public void Detach()
    {
        if (AttachedModel is not { } model) return;
        // Restore in reverse order so stacked wrappers unwind correctly.
        for (int i = _attached.Count - 1; i >= 0; i--)
        {
            var (layer, projection, previous, wrapper) = _attached[i];
            model.SetProjection(layer, projection, previous);
            wrapper.Dispose();
        }
        _attached.Clear();
        AttachedModel = null;
    }

    public void SetPromptLengths(IReadOnlyList<int> promptLengths) { }

    public virtual void BeforeOptimizerStep() { }

    public virtual void AfterOptimizerStep() { }

    public virtual bool PrefersSparseStorage => false;

    public void Dispose()
    {
        Detach();
        foreach (var (_, p) in _parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }
}
