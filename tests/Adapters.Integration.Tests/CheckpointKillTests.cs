using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// A kill at the worst moment of a checkpoint write (issue 14, item 8): between renaming the old
/// checkpoint aside and the new one into place. `train --resume` then continues from the complete
/// previous checkpoint, says at the start which step it resumes from, and leaves no temporary folders.
/// </summary>
public sealed class CheckpointKillTests : IDisposable
{
    static readonly string TrainData = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.train.jsonl");

    readonly string _dir = SharedModels.NewTempFolder("checkpoint-kill");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string[] Train(string run, params string[] extra) =>
        ["train", "--model", SharedModels.Stories260K, "--method", "lora", "--rank", "2", "--data", TrainData, "--out", run,
         "--steps", "4", "--checkpoint-every", "2", "--eval-every", "0", "--batch-size", "2", .. extra];

    [Fact]
    public void Kill_between_the_two_renames_resumes_from_the_previous_checkpoint_and_says_so()
    {
        string run = Path.Combine(_dir, "run");
        Assert.Equal(0, CliRunner.Run(Train(run)).ExitCode);
        string checkpoint = Path.Combine(run, "checkpoint");
        Assert.True(File.Exists(Path.Combine(checkpoint, "trainer_state.json")));

        // What the kill leaves: the step-2 checkpoint renamed aside, a half-built new one, no checkpoint/.
        Directory.Move(checkpoint, checkpoint + ".old-4242-0123456789abcdef");
        Directory.CreateDirectory(checkpoint + ".tmp-4242-fedcba9876543210");
        File.WriteAllText(Path.Combine(checkpoint + ".tmp-4242-fedcba9876543210", "optimizer.safetensors"), "half");
        Directory.Delete(Path.Combine(run, "adapter"), recursive: true);

        var resumed = CliRunner.Run(Train(run, "--resume"));

        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("train: resuming from step 2 of 4", resumed.Stderr);
        Assert.Contains("resumed from step 2", resumed.Stdout);
        Assert.Equal(["adapter", "checkpoint"], Directory.GetDirectories(run).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Resume_without_a_checkpoint_says_that_it_starts_from_step_0()
    {
        string run = Path.Combine(_dir, "fresh");

        var result = CliRunner.Run(Train(run, "--resume"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("train: --resume: no checkpoint in", result.Stderr);
        Assert.Contains("starting from step 0", result.Stderr);
    }
}
