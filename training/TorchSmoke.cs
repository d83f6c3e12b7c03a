namespace Adapters.Training;
public static class TorchSmoke { public static float Sum() => TorchSharp.torch.ones(3).sum().item<float>(); }
