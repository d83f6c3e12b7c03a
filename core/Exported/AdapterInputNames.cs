using Adapters.Core.Model;

namespace Adapters.Core.Exported;

/// <summary>
/// Names of the adapter graph inputs of an exported decoder: the contract between the exporter
/// (declares them), the .onnx_adapter files (hold values under these names, as ONNX Runtime's
/// multi-LoRA expects) and the runtime (feeds them). The runtime knows only these input kinds:
/// <list type="bullet">
/// <item>low-rank update of a projection group (<see cref="ProjectionGroup"/>, e.g. q/k/v packed)
/// y += (x·Aᵀ)·Bᵀ, A [Σr, in] (the members' A stacked), B [Σout, Σr] (block diagonal: member i's
/// B at its output rows and rank columns, zeros elsewhere; scale folded in);</item>
/// <item>residual-stream edit h += mask_g · Uᵀ(V h + b), V and U [r, dim], b [r], per position group g;</item>
/// <item>position masks [batch, seq, 1] per group, and adapter_index [batch] in batched exports.</item>
/// </list>
/// </summary>
public static class AdapterInputNames
{
    /// <summary>Batched exports: [batch] int64, the adapter slot of each row; −1 = no adapter.</summary>
    public const string AdapterIndex = "adapter_index";

    /// <summary>Position groups of a residual edit: the first-k and last-k prompt positions (<see cref="Adapters.PositionSpec"/>).</summary>
    public const string PrefixGroup = "prefix";
    public const string SuffixGroup = "suffix";
    public static readonly IReadOnlyList<string> Groups = [PrefixGroup, SuffixGroup];

    /// <summary>[Σr, in], the group members' A stacked (batched: [slots, members·r_max, in]).</summary>
    public static string LoraA(int layer, ProjectionGroup group) => $"{group.Module(layer)}.lora_A";

    /// <summary>[Σout, Σr] block diagonal, already multiplied by alpha / r (batched: [slots, Σout, members·r_max]).</summary>
    public static string LoraB(int layer, ProjectionGroup group) => $"{group.Module(layer)}.lora_B";

    /// <summary>V [r, dim]: the rank-r code is V h + b.</summary>
    public static string EditDown(int layer, string group) => $"{LlamaTensorNames.Layer(layer)}.residual_edit.{group}.V";

    /// <summary>b [r].</summary>
    public static string EditBias(int layer, string group) => $"{LlamaTensorNames.Layer(layer)}.residual_edit.{group}.b";

    /// <summary>U [r, dim]: the code returns to the stream through Uᵀ.</summary>
    public static string EditUp(int layer, string group) => $"{LlamaTensorNames.Layer(layer)}.residual_edit.{group}.U";

    /// <summary>True for the inputs of a residual-stream edit (V, b, U), false for a projection's lora_A / lora_B.</summary>
    public static bool IsResidualEdit(string input) => input.Contains(".residual_edit.", StringComparison.Ordinal);

    /// <summary>[batch, seq, 1] float: 1 where group <paramref name="group"/> edits a position, else 0.</summary>
    public static string PositionMask(string group) => $"residual_edit_mask.{group}";

    /// <summary>The group a <see cref="Adapters.PositionSpec.Assign"/> value selects, or null for none.</summary>
    public static string? GroupOf(byte assigned) => assigned switch
    {
        Adapters.PositionSpec.Prefix => PrefixGroup,
        Adapters.PositionSpec.Suffix => SuffixGroup,
        _ => null,
    };
}
