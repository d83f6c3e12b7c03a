namespace Adapters.Training.Meta;

/// <summary>
/// First-order meta-gradients for the adapter initialisation θ, given θ' = θ after the inner SGD
/// steps on a task's support set. Reptile (Nichol et al. 2018): g = θ − θ'. FOMAML (Finn et al.
/// 2017, first-order): g = ∇L_query(θ'). Either g is fed to the outer Adam as θ's gradient.
/// </summary>
public enum MetaAlgorithm
{
    Reptile,
    Fomaml,
}
