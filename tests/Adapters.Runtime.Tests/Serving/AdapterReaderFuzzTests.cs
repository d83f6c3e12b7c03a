using Adapters.Hardening.Fuzzing;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The adapter readers on seeded mutations of valid files (issue 14): safetensors, manifest.json,
/// PEFT adapter_config.json, exported *.adapter.json and .onnx_adapter on their own, and whole
/// adapters read from folders as the CLI and the host read them. Every input is accepted or refused
/// with InvalidFileException — no other exception (crash), none left running (hang); the unmutated
/// seeds are accepted. Bounded for CI; `dotnet run --project tests/Adapters.Hardening -- fuzz` runs it for minutes.
/// </summary>
public sealed class AdapterReaderFuzzTests : IClassFixture<AdapterReaderFuzzTests.Targets>
{
    public sealed class Targets : IDisposable
    {
        public AdapterFuzzTargets All { get; } = new();
        public void Dispose() => All.Dispose();
    }

    /// <summary>Fixed, so a failure replays: `fuzz --seed 20261202 --target NAME`.</summary>
    const int Seed = 20261202;

    /// <summary>Readers of bytes run thousands of inputs a second; the folder targets write two files per input.</summary>
    const int InputsPerTarget = 2000, InputsPerFolderTarget = 300;

    /// <summary>Only a cap for a slow machine: the inputs bound the run; reaching this is not a failure.</summary>
    static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(20);

    /// <summary>Far beyond any single read of these tiny files; an input still running then is a hang.</summary>
    static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    readonly Targets _targets;

    public AdapterReaderFuzzTests(Targets targets) => _targets = targets;

    public static TheoryData<string> TargetNames => new()
    {
        "safetensors", "manifest.json", "adapter_config.json", "adapter.json", "onnx_adapter", "exported adapter files", "adapter folder files",
    };

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Mutated_files_are_accepted_or_refused_cleanly_never_crash_or_hang(string name)
    {
        var target = _targets.All.All.Single(t => t.Name == name);

        int inputs = name.EndsWith(" files", StringComparison.Ordinal) ? InputsPerFolderTarget : InputsPerTarget;
        var report = FuzzLoop.Run(target, Seed, inputs, TimeCap, HangLimit);

        Assert.True(report.Crashes.Count == 0, $"{report}\n{string.Join("\n", report.Crashes)}");
        Assert.Equal(0, report.Hangs);
        Assert.True(report.Refused > 0, $"no mutated input was refused, so the mutations did not reach the checks: {report}");
        Assert.True(report.Accepted > 0, $"nothing was accepted: {report}");
    }
}
