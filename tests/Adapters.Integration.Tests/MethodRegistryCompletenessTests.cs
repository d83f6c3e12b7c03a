using System.CommandLine;
using Adapters.Cli;
using Adapters.Core.Adapters;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Export.AdapterExport;
using Adapters.Training.Methods;

namespace Adapters.Integration.Tests;

/// <summary>
/// Adding a method is a checklist (README "Adding a method"): this test walks core's method list
/// and names every place a method is missing from — training factory, CLI mapping, schema, export
/// rule or foldable delta — and every registry entry that core's list does not know.
/// </summary>
public sealed class MethodRegistryCompletenessTests
{
    static readonly LlamaConfig Model = new() { Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 40, MaxSeqLen = 16 };

    [Fact]
    public void Every_method_has_a_factory_a_cli_mapping_a_schema_and_an_export_path()
    {
        var missing = new List<string>();
        foreach (string method in AdapterMethods.All) missing.AddRange(Problems(method));
        foreach (string name in AdapterMethodRegistry.Names.Except(AdapterMethods.All))
            missing.Add($"{name}: has a training factory but is not in core's AdapterMethods.All");
        foreach (string name in AdapterExportRules.Methods.Except(AdapterMethods.All))
            missing.Add($"{name}: has an export rule but is not in core's AdapterMethods.All");

        Assert.True(missing.Count == 0, "incomplete adapter methods:\n" + string.Join("\n", missing));
    }

    static IEnumerable<string> Problems(string method)
    {
        if (!AdapterMethodRegistry.Contains(method))
            yield return $"{method}: no training factory (training/Methods/AdapterMethodRegistry.cs)";

        var options = new AdapterOptions();
        var command = new RootCommand();
        foreach (var option in options.All) command.Add(option);
        System.Text.Json.Nodes.JsonObject? hyperparameters = null;
        string? cliProblem = null;
        try { hyperparameters = options.Hyperparameters(command.Parse(["--method", method]), Model); }
        catch (ArgumentException e) { cliProblem = e.Message; }
        if (cliProblem is not null) { yield return $"{method}: no CLI mapping (cli/AdapterOptions.cs): {cliProblem}"; yield break; }

        List<(string Name, int[] Shape)>? expected = null;
        string? schemaProblem = null;
        try { expected = AdapterSchemas.ExpectedTensors(method, hyperparameters!, Model).ToList(); }
        catch (ArgumentException e) { schemaProblem = e.Message; }
        if (schemaProblem is not null || expected is not { Count: > 0 })
        {
            yield return $"{method}: no schema (core/Adapters/AdapterSchemas.cs): {schemaProblem ?? "no tensors"}";
            yield break;
        }

        bool hasRule = AdapterExportRules.Methods.Contains(method);
        bool folds = AdapterMethods.IsFoldable(method) && Folds(method, hyperparameters!, expected);
        if (AdapterMethods.IsFoldable(method) && !folds)
            yield return $"{method}: listed foldable but core/Adapters/WeightDeltas/AdapterWeightDelta.cs gives no delta";
        if (!hasRule && !folds && !AdapterMethods.NotExportable.ContainsKey(method))
            yield return $"{method}: no export rule (export/AdapterExport/AdapterExportRules.cs) and no foldable delta (AdapterMethods.IsFoldable), nor a reason in AdapterMethods.NotExportable";
        if (hasRule && AdapterMethods.NotExportable.ContainsKey(method))
            yield return $"{method}: has an export rule but AdapterMethods.NotExportable says it cannot be exported";
    }

    /// <summary>A zero adapter of the method's schema folds to a zero ΔW of every target's shape.</summary>
    static bool Folds(string method, System.Text.Json.Nodes.JsonObject hyperparameters, List<(string Name, int[] Shape)> expected)
    {
        var weights = RandomCheckpoint.Create(Model, seed: 1);
        var tensors = expected.ToDictionary(e => e.Name, e => new TensorData(e.Name, e.Shape, new float[TensorData.ElementCount(e.Shape)]));
        var adapter = new AdapterFolder(new AdapterManifest { Method = method, Hyperparameters = hyperparameters, BaseModel = ModelFingerprint.Of(weights) }, tensors);
        try
        {
            var delta = new AdapterWeightDelta(adapter, Model, weights);
            return delta.Targets.Count > 0 && delta.Targets.All(t =>
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(Model, t.Projection);
                var d = delta.Materialize(t.Layer, t.Projection);
                return d.Length == (long)o * i && d.All(v => v == 0);
            });
        }
        catch (ArgumentException) { return false; }
    }
}
