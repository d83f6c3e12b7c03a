using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>Shared checks of "which projections of which layers" for the configs of projection-level methods.</summary>
static class ProjectionTargets
{
    public static void Validate(string method, IReadOnlyList<string> targets, IReadOnlyList<int> layers, LlamaConfig? model)
    {
        if (targets.Count == 0) throw new ArgumentException($"{method} needs at least one target module");
        foreach (string t in targets)
            if (!LlamaTensorNames.Projections.Contains(t))
                throw new ArgumentException($"unknown {method} target '{t}'; expected some of {string.Join(", ", LlamaTensorNames.Projections)}");
        if (targets.Distinct().Count() != targets.Count) throw new ArgumentException($"{method} target modules repeat a projection: {string.Join(", ", targets)}");
        if (model == null) return;
        foreach (int l in layers)
            if (l < 0 || l >= model.NumLayers) throw new ArgumentException($"{method} layer {l} is out of range for a {model.NumLayers}-layer model");
    }

    public static IEnumerable<int> LayersOf(IReadOnlyList<int> layers, LlamaConfig model) =>
        layers.Count > 0 ? layers : Enumerable.Range(0, model.NumLayers);
}
