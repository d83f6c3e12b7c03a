using System.Text.Json.Nodes;
using Adapters.Training.Model;
using TorchSharp.Modules;

namespace Adapters.Training.Methods;

/// <summary>
/// One parameter-efficient adapter method (LoRA, LoReFT, DiReFT, ...): what it adds to a
/// <see cref="LlamaModel"/>, which tensors it trains, and how they are named on disk. Instances
/// come from <see cref="AdapterMethodRegistry"/>; saving and loading go through
/// <see cref="AdapterStore"/>, which only needs <see cref="Name"/>, <see cref="Hyperparameters"/>
/// and <see cref="Parameters"/>.
/// </summary>
public interface IAdapterMethod : IDisposable
{
    /// <summary>The manifest's method name (<see cref="Core.Adapters.AdapterMethods"/>).</summary>
    string Name { get; }

    /// <summary>The typed config serialised for manifest.json.</summary>
    JsonObject Hyperparameters { get; }

    /// <summary>
    /// Every trainable tensor under its adapter tensor name (the safetensors key), in a fixed
    /// order. The parameters are owned by the method and stay valid while it is alive.
    /// </summary>
    IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    /// <summary>The model this method is attached to, or null.</summary>
    LlamaModel? AttachedModel { get; }

    /// <summary>Wraps projections or installs residual hooks; borrows the model, which must outlive the attachment.</summary>
    void Attach(LlamaModel model);

    /// <summary>Restores the model exactly as it was before <see cref="Attach"/>.</summary>
    void Detach();

    /// <summary>Training mode enables dropout; evaluation and generation turn it off.</summary>
    bool Training { get; set; }

    /// <summary>
    /// Declares the prompt length of each row of the next forward passes, [batch]. Methods that
    /// act on prompt positions (ReFT) build their position mask from it; others ignore it.
    /// Positions at or beyond a row's prompt length (completion, padding, decode steps) are
    /// never edited.
    /// </summary>
    void SetPromptLengths(IReadOnlyList<int> promptLengths);

    /// <summary>
    /// Called once per optimizer step after all micro-batches' gradients are accumulated and
    /// before clipping and the optimizer update, e.g. to mask gradients (GMT). Default: nothing.
    /// </summary>
    void BeforeOptimizerStep() { }

    /// <summary>Called after every optimizer step, e.g. to retract a constrained parameter back onto its manifold.</summary>
    void AfterOptimizerStep();

    /// <summary>Store mostly-zero tensors sparse when saving (GMT's weight deltas). Default: dense.</summary>
    bool PrefersSparseStorage => false;
}
