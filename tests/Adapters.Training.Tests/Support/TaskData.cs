using Adapters.TestSupport;
using Adapters.Training.Trainer;

namespace Adapters.Training.Tests.Support;

/// <summary>The small task datasets in tests/data: each a behaviour stories260K does not have, with held-out examples.</summary>
static class TaskData
{
    public static string PathOf(string file) => Path.Combine(SharedModels.RepoRoot, "tests", "data", file);

    /// <summary>Fixed-answer instruction: any way of asking for the secret word → " The secret word is blue."</summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) SecretWord() => Load("secret_word");

    /// <summary>Key → value recall: six objects, each with an arbitrary fixed colour; held out: an unseen question template.</summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) ColorRecall() => Load("color_recall");

    /// <summary>Style shift: every story is followed by the same catchphrase.</summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) Catchphrase() => Load("catchphrase");

    /// <summary>Key → value recall: five animals, each with a fixed name (meta-learning training task).</summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) PetNames() => Load("pet_names");

    /// <summary>Key → value recall in another sentence frame: four children and the food each likes (meta-learning held-out task).</summary>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) FavoriteFood() => Load("favorite_food");

    static (IReadOnlyList<TrainingExample>, IReadOnlyList<TrainingExample>) Load(string name) =>
        (TrainingData.Load(PathOf($"{name}.train.jsonl")), TrainingData.Load(PathOf($"{name}.eval.jsonl")));
}
