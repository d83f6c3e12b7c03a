using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Reft;

/// <summary>
/// The ReFT family: at the residual-stream output of each chosen layer, h ← h + Δ_g(h) at prompt
/// positions assigned to group g by the <see cref="PositionSpec"/> ("all" when tied, "prefix" /
/// "suffix" when untied); every other position passes unchanged. Δ is the intervention's edit
/// (<see cref="LoReftIntervention"/>, <see cref="DiReftIntervention"/>). The positions come from
/// <see cref="SetPromptLengths"/>, which the trainer calls per batch and the generator per
/// request before its prefill.
/// </summary>
public sealed class ReftMethod : IAdapterMethod
{
    readonly Dictionary<(int Layer, string Group), ReftIntervention> _interventions = [];
    readonly List<(string Name, Parameter Parameter)> _parameters = [];
    readonly int[] _layers;
    readonly PositionSpec _positions;
    readonly Device _device;
    ReftPositionMask? _mask;

    public ReftMethod(string name, ReftConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init, ReftInterventionFactory create)
    {
        Name = name;
        Config = config.Validate(model);
        _positions = config.PositionSpec;
        _layers = config.LayersOf(model).ToArray();
        _device = device;
        foreach (int layer in _layers)
            foreach (string group in config.InterventionGroups)
            {
                var intervention = create(AdapterTensorNames.Reft(layer, group), config.Rank, model.Dim, dtype, device, init);
                _interventions[(layer, group)] = intervention;
                _parameters.AddRange(intervention.Parameters);
            }
    }

    public string Name { get; }
    public ReftConfig Config { get; }
    public JsonObject Hyperparameters => AdapterManifest.ToJsonObject(Config);
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;
    public LlamaModel? AttachedModel { get; private set; }
    public bool Training { get; set; } = true;

    /// <summary>The intervention of one layer and group ("all", "prefix" or "suffix").</summary>
    public ReftIntervention Intervention(int layer, string group) => _interventions[(layer, group)];

    public void Attach(LlamaModel model)
    {
        if (AttachedModel is not null) throw new InvalidOperationException($"this {Name} adapter is already attached to a model");
        foreach (int layer in _layers)
            if (model.Layers[layer].ResidualHook is not null)
                throw new InvalidOperationException($"layer {layer} already has a residual-stream intervention; detach it first");
        foreach (int layer in _layers)
        {
            int l = layer;
            model.SetResidualHook(l, (hidden, startPos) => Apply(l, hidden, startPos));
        }
        AttachedModel = model;
    }

    public void Detach()
    {
        if (AttachedModel is not { } model) return;
        foreach (int layer in _layers) model.SetResidualHook(layer, null);
        AttachedModel = null;
    }

    public void SetPromptLengths(IReadOnlyList<int> promptLengths)
    {
        var mask = new ReftPositionMask(_positions, promptLengths, _device);
        _mask?.Dispose();
        _mask = mask;
    }

    public void AfterOptimizerStep()
    {
        foreach (var intervention in _interventions.Values) intervention.AfterOptimizerStep();
    }

    /// <summary>hidden [batch, seq, dim] at positions startPos.. → the edited stream.</summary>
    Tensor Apply(int layer, Tensor hidden, int startPos)
    {
        var mask = _mask ?? throw new InvalidOperationException(
            $"{Name} needs each row's prompt length: call SetPromptLengths before the forward pass");
        if (mask.BatchSize != hidden.shape[0])
            throw new InvalidOperationException($"the position mask was set for {mask.BatchSize} rows, the forward has {hidden.shape[0]}");
        // 1. which group edits each position of this call; decode steps past the prompt: none
        using var groups = mask.Slice(startPos, hidden.shape[1]);
        if (groups is null) return hidden;
        // 2. add each group's edit where it applies (selectors are 0/1 per position)
        var output = hidden;
        foreach (string group in Config.InterventionGroups)
        {
            var selected = Config.Untied ? groups.eq(group == "prefix" ? PositionSpec.Prefix : PositionSpec.Suffix) : groups.ne(PositionSpec.None);
            var delta = _interventions[(layer, group)].Delta(hidden, Config.Dropout, Training);
            output = KeptScalars.Plus(output, selected.unsqueeze(-1).to(hidden.dtype) * delta);
        }
        return output;
    }

    public void Dispose()
    {
        Detach();
        _mask?.Dispose();
        foreach (var intervention in _interventions.Values) intervention.Dispose();
    }
}
