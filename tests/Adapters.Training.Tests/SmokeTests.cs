public class SmokeTests { [Fact] public void TorchLoads() => Assert.Equal(3f, Adapters.Training.TorchSmoke.Sum()); }
