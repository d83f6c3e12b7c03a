using System.Diagnostics;
using Adapters.Core.IO;

namespace Adapters.Hardening.Fuzzing;

/// <summary>
/// Runs a <see cref="FuzzTarget"/> on seeded mutations of its seeds until an input budget or a time
/// budget is spent. Each input runs on one worker thread while this thread watches the clock: an
/// input that does not return within the hang limit is a hang, and the run stops there (the stuck
/// thread cannot be taken back). Any exception other than <see cref="InvalidFileException"/> is a
/// crash, recorded with the input's index so `--seed S` replays it.
/// </summary>
public static class FuzzLoop
{
    const int MaxCrashSamples = 5;

    public static FuzzReport Run(FuzzTarget target, int seed, long maxInputs, TimeSpan maxTime, TimeSpan hangLimit, string? crashFolder = null)
    {
        var fuzzer = new MutationFuzzer(seed);
        var rng = new Random(seed ^ 0x5eed);
        var crashes = new List<string>();
        long inputs = 0, accepted = 0, refused = 0;
        int hangs = 0;
        var clock = Stopwatch.StartNew();

        byte[]? job = null;
        int jobSeed = 0;
        Exception? outcome = null;
        bool quit = false;
        using var ready = new SemaphoreSlim(0);
        using var done = new SemaphoreSlim(0);
        var worker = new Thread(() =>
        {
            while (true)
            {
                ready.Wait();
                if (Volatile.Read(ref quit)) return;
                try
                {
                    target.Run(jobSeed, job!);
                    outcome = null;
                }
                catch (Exception e) { outcome = e; }
                done.Release();
            }
        }) { IsBackground = true, Name = $"fuzz {target.Name}" };
        worker.Start();

        while (inputs < maxInputs && clock.Elapsed < maxTime)
        {
            // Every 16th input is a seed as it is (the reader must accept it), the rest mutations.
            int seedIndex = rng.Next(target.Seeds.Count);
            var seedFile = target.Seeds[seedIndex];
            bool pristine = inputs % 16 == 0;
            byte[] input = pristine ? seedFile : fuzzer.Mutate(seedFile, target.Seeds);
            job = input;
            jobSeed = seedIndex;
            ready.Release();
            inputs++;
            if (!done.Wait(hangLimit))
            {
                hangs++;
                Save(crashFolder, target, seed, inputs - 1, "hang", input);
                return new FuzzReport(target.Name, inputs, accepted, refused, crashes, hangs, clock.Elapsed);
            }
            if (pristine && outcome is not null)
            {
                // A valid seed refused: the target is broken, and its fuzzing would prove nothing.
                crashes.Add($"seed {seedIndex} as it is was refused: {outcome.Message}");
                continue;
            }
            switch (outcome)
            {
                case null: accepted++; break;
                case InvalidFileException: refused++; break;
                default:
                    if (crashes.Count < MaxCrashSamples)
                        crashes.Add($"input {inputs - 1} (seed {seed}): {outcome.GetType().Name}: {outcome.Message}{Environment.NewLine}{outcome.StackTrace}");
                    else crashes.Add($"input {inputs - 1}: {outcome.GetType().Name}");
                    Save(crashFolder, target, seed, inputs - 1, "crash", input);
                    break;
            }
        }
        Volatile.Write(ref quit, true);
        ready.Release();
        worker.Join();
        return new FuzzReport(target.Name, inputs, accepted, refused, crashes, hangs, clock.Elapsed);
    }

    static void Save(string? folder, FuzzTarget target, int seed, long index, string kind, byte[] input)
    {
        if (folder is null) return;
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, $"{target.Name.Replace(' ', '_')}-{kind}-seed{seed}-input{index}.bin"), input);
    }
}
