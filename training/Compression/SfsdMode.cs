namespace Adapters.Training.Compression;

/// <summary>
/// How SFSD factorises a projection W [m, n] at rank k.
/// Weight: truncated SVD, W ≈ (U_k S_k)(V_kᵀ), no bias.
/// Feature: with μ and Σ the mean and covariance of the layer's outputs y = W x on calibration
/// text and V_k [m, k] the top-k eigenvectors of Σ, W x ≈ V_k (V_kᵀ W) x + (I − V_k V_kᵀ) μ —
/// the output is projected onto the subspace where it varies and the rest is replaced by its mean.
/// </summary>
public enum SfsdMode
{
    Feature,
    Weight,
}
