namespace Adapters.Core.Model;

/// <summary>
/// Projections of a layer that read the same input, in the order their outputs are packed:
/// q/k/v read the attention norm's output, gate/up the feed-forward norm's. An exported graph
/// computes a group with one matrix product over the packed weight [in, Σ out] and one low-rank
/// update per group (instead of one per projection): on a decode step a projection costs a
/// kernel launch, not arithmetic, so fewer launches is what makes adapters cheap there.
/// </summary>
public sealed record ProjectionGroup(string Name, IReadOnlyList<string> Members)
{
    public static readonly ProjectionGroup Qkv = new("qkv_proj", ["q_proj", "k_proj", "v_proj"]);
    public static readonly ProjectionGroup Output = new("o_proj", ["o_proj"]);
    public static readonly ProjectionGroup GateUp = new("gate_up_proj", ["gate_proj", "up_proj"]);
    public static readonly ProjectionGroup Down = new("down_proj", ["down_proj"]);

    /// <summary>Every group of a layer, in graph order; together they hold each projection once.</summary>
    public static readonly IReadOnlyList<ProjectionGroup> All = [Qkv, Output, GateUp, Down];

    /// <summary>Position in <see cref="All"/> (graph order).</summary>
    public int Order => All.Select((g, i) => (g, i)).First(x => x.g.Name == Name).i;

    /// <summary>The group that holds <paramref name="projection"/>.</summary>
    public static ProjectionGroup Of(string projection) =>
        All.FirstOrDefault(g => g.Members.Contains(projection))
        ?? throw new ArgumentException($"unknown projection '{projection}'; expected one of {string.Join(", ", LlamaTensorNames.Projections)}");

    /// <summary>Module path, e.g. model.layers.0.self_attn.qkv_proj (same sub-module as its members).</summary>
    public string Module(int layer)
    {
        string member = LlamaTensorNames.ProjectionModule(layer, Members[0]);
        return member[..(member.LastIndexOf('.') + 1)] + Name;
    }

    /// <summary>Input features, shared by every member.</summary>
    public int InFeatures(LlamaConfig config) => LlamaTensorNames.ProjectionShape(config, Members[0]).In;

    /// <summary>Output features of each member, in packing order.</summary>
    public int[] MemberOutFeatures(LlamaConfig config) => Members.Select(m => LlamaTensorNames.ProjectionShape(config, m).Out).ToArray();

    public override string ToString() => Name;
}
