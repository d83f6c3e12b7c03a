using System.Text.Json;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.Training.Methods;

namespace Adapters.Training.Trainer;

/// <summary>
/// A resumable training checkpoint folder, written atomically (a kill mid-write leaves the
/// previous checkpoint intact): adapter/ (an ordinary adapter folder), optimizer.safetensors
/// (AdamW moments, float32) and trainer_state.json (<see cref="TrainerState"/>).
/// </summary>
public static class TrainingCheckpoint
{
    public const string AdapterFolderName = "adapter";
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>True when a complete checkpoint is at <paramref name="folder"/>, after repairing what a kill mid-write left (see <see cref="AtomicFile.RecoverDirectory"/>).</summary>
    public static bool Exists(string folder)
    {
        AtomicFile.RecoverDirectory(folder);
        return File.Exists(Path.Combine(folder, TrainerState.FileName));
    }

    /// <summary>
    /// The step a resumed run continues from (after the same repair as <see cref="Exists"/>), or
    /// null when <paramref name="folder"/> holds no complete checkpoint; what `train --resume` reports first.
    /// </summary>
    public static int? StepOf(string folder)
    {
        if (!Exists(folder)) return null;
        string statePath = Path.Combine(folder, TrainerState.FileName);
        try { return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), AdapterManifest.Json)?.Step; }
        catch (JsonException e) { throw new InvalidFileException(statePath, "not a valid trainer state: " + JsonProblem.Describe(e)); }
    }

    public static void Write(string folder, IAdapterMethod method, AdamW optimizer, TrainerState state, ModelFingerprint baseModel) =>
        AtomicFile.WriteDirectory(folder, tmp =>
        {
            AdapterStore.Save(Path.Combine(tmp, AdapterFolderName), method, baseModel);
            SafeTensorsFile.Write(Path.Combine(tmp, OptimizerFile), optimizer.ExportState().Select(SafeTensorsFile.Float),
                new Dictionary<string, string> { ["format"] = "pt" });
            File.WriteAllText(Path.Combine(tmp, TrainerState.FileName), JsonSerializer.Serialize(state, AdapterManifest.Json));
        });

    /// <summary>
    /// Restores adapter weights and optimizer moments into <paramref name="method"/> and
    /// <paramref name="optimizer"/>; refuses a checkpoint of another method, other
    /// hyperparameters or another base model.
    /// </summary>
    public static TrainerState Read(string folder, IAdapterMethod method, AdamW optimizer, LlamaConfig model, ModelFingerprint baseModel)
    {
        string statePath = Path.Combine(folder, TrainerState.FileName);
        TrainerState state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), AdapterManifest.Json)!; }
        catch (JsonException e) { throw new InvalidFileException(statePath, "not a valid trainer state: " + e.Message); }
        if (state.Method != method.Name)
            throw new InvalidFileException(statePath, $"checkpoint is of method '{state.Method}', this run trains '{method.Name}'");
        string saved = state.Hyperparameters.ToJsonString(), current = method.Hyperparameters.ToJsonString();
        if (saved != current)
            throw new InvalidFileException(statePath, $"checkpoint hyperparameters {saved} differ from this run's {current}");

        var adapter = AdapterFolder.Read(Path.Combine(folder, AdapterFolderName), model, baseModel);
        AdapterStore.ImportTensors(method, adapter.Tensors);
        var file = SafeTensorsFile.Open(Path.Combine(folder, OptimizerFile));
        var moments = file.Entries.ToDictionary(e => e.Name, e => file.ReadFloat(e.Name), StringComparer.Ordinal);
        optimizer.ImportState(state.OptimizerStep, moments);
        return state;
    }
}
