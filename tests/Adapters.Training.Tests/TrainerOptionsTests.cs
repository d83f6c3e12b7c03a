using Adapters.Training.Trainer;

namespace Adapters.Training.Tests;

/// <summary>Bad trainer options are refused naming the value; the schedule warms up linearly and decays by cosine.</summary>
public class TrainerOptionsTests
{
    [Theory]
    [InlineData("steps", 0)]
    [InlineData("batch size", -1)]
    [InlineData("warmup", 500)]
    public void InvalidValue_IsRefusedNamingIt(string what, int value)
    {
        var options = what switch
        {
            "steps" => new TrainerOptions { Steps = value },
            "batch size" => new TrainerOptions { BatchSize = value },
            _ => new TrainerOptions { WarmupSteps = value },
        };
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains(what, error.Message);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Fact]
    public void LearningRate_WarmsUpLinearlyThenDecaysToTheMinimum()
    {
        var options = new TrainerOptions { Steps = 100, WarmupSteps = 10, LearningRate = 1e-3, MinLearningRateRatio = 0.1 };
        Assert.Equal(1e-4, options.LearningRateAt(1), 12);
        Assert.Equal(1e-3, options.LearningRateAt(10), 12);
        Assert.Equal(1e-4, options.LearningRateAt(100), 12);
        Assert.Equal(0.55e-3, options.LearningRateAt(55), 12);
    }
}
