using static TorchSharp.torch;

namespace Adapters.Training.Methods.Reft;

/// <summary>Creates one freshly initialised intervention of rank <paramref name="rank"/> on a width-<paramref name="dim"/> residual stream.</summary>
public delegate ReftIntervention ReftInterventionFactory(string prefix, int rank, int dim, ScalarType dtype, Device device, Generator init);
