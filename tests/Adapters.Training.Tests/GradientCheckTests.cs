using Adapters.Core.Adapters;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>Analytic gradients of every adapter tensor equal central finite differences (tiny random model, float64).</summary>
public class GradientCheckTests(ITestOutputHelper output)
{
    /// <summary>Central differences in float64 with this step have truncation and rounding error ~1e-9.</summary>
    const double FiniteDifferenceStep = 1e-5;
    const double GradientRelativeTolerance = 1e-6;

    /// <summary>Moves every adapter tensor off its initial value (LoRA's B is zero at init, which would hide A's gradient).</summary>
    const double Perturbation = 0.1;

    public static TheoryData<string, string> Cases => new()
    {
        { AdapterMethods.Lora, """{"rank": 2, "alpha": 4, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}""" },
        { AdapterMethods.LoReft, """{"rank": 2, "positions": "f2+l2"}""" },
        { AdapterMethods.DiReft, """{"rank": 2, "positions": "f2+l2", "untied": true}""" },
        { AdapterMethods.Circulant, """{"target_modules": ["q_proj", "o_proj"]}""" },
        { AdapterMethods.Toeplitz, """{"target_modules": ["k_proj", "gate_proj", "down_proj"]}""" },
        { AdapterMethods.Kronecker, """{"target_modules": ["q_proj", "v_proj", "up_proj", "down_proj"]}""" },
        { AdapterMethods.Gmt, """{"target_modules": ["v_proj", "down_proj"], "layers": [1]}""" },
        { AdapterMethods.Tarp, """{"rank": 2, "target_modules": ["q_proj", "v_proj", "gate_proj"]}""" },
        { AdapterMethods.TarpStatic, """{"rank": 2, "target_modules": ["k_proj", "down_proj"]}""" },
        { AdapterMethods.Ldr, """{"target_modules": ["q_proj", "o_proj"], "rank": 2}""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AdapterGradients_MatchCentralFiniteDifferences(string name, string hyperparameters)
    {
        var config = TestModels.GqaSeparateClassifier;
        using var model = LlamaModel.FromWeights(TestModels.Random(config), ScalarType.Float64);
        using var method = AdapterMethodRegistry.Create(name, System.Text.Json.Nodes.JsonNode.Parse(hyperparameters)!.AsObject(), config, ScalarType.Float64, seed: 5);
        method.Attach(model);
        var generator = new Generator(11);
        using (no_grad())
            foreach (var (_, p) in method.Parameters) p.add_(randn(p.shape, ScalarType.Float64, generator: generator) * Perturbation);
        // Two rows of different prompt lengths, the shorter one right-padded.
        using var batch = TrainingBatch.Create([new([1, 5, 17, 42, 96, 3, 8, 60, 2], 5), new([1, 9, 33, 70, 4, 2], 3)], ScalarType.Float64, CPU);
        double Loss() { using var s = NewDisposeScope(); return CompletionLoss.Sum(model, method, batch).item<double>(); }

        using (var loss = CompletionLoss.Sum(model, method, batch)) loss.backward();

        using var noGrad = no_grad();
        foreach (var (tensorName, p) in method.Parameters)
        {
            var analytic = p.grad!.reshape(-1).data<double>().ToArray();
            var flat = p.view(-1);
            foreach (long i in new[] { 0L, flat.shape[0] / 2, flat.shape[0] - 1 })
            {
                double original = flat[i].item<double>();
                flat[i] = original + FiniteDifferenceStep;
                double plus = Loss();
                flat[i] = original - FiniteDifferenceStep;
                double minus = Loss();
                flat[i] = original;
                double numeric = (plus - minus) / (2 * FiniteDifferenceStep);
                output.WriteLine($"{tensorName}[{i}]: analytic {analytic[i]:E6}, numeric {numeric:E6}");
                Assert.InRange(Math.Abs(analytic[i] - numeric), 0, GradientRelativeTolerance * Math.Max(1, Math.Abs(numeric)));
            }
        }
    }
}
