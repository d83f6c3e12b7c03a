using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// An intervention on a layer's residual-stream output (ReFT and similar methods): receives the
/// block output [batch, seq, dim] whose first row sits at absolute position
/// <paramref name="startPos"/>, and returns the tensor that flows on (same shape). The position
/// lets an intervention edit only chosen positions, e.g. the prompt's first/last tokens while
/// ignoring later decode steps. Runs inside the block's dispose scope: return a new tensor or the
/// input itself, never one the hook disposes.
/// </summary>
public delegate Tensor ResidualStreamHook(Tensor hidden, int startPos);
