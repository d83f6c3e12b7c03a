using System.CommandLine;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Cli;

/// <summary>
/// The command-line hyperparameters of the adapter methods (rank, alpha, targets, layers,
/// positions…) and their translation into a method's typed config. Options left out keep
/// the config record's defaults.
/// </summary>
public sealed class AdapterOptions
{
    public Option<string> Method { get; } = new("--method") { Description = $"adapter method: {string.Join(", ", AdapterMethods.All)}", Required = true };
    public Option<int?> Rank { get; } = new("--rank") { Description = "rank r (LoRA default 8, ReFT default 4)" };
    public Option<float?> Alpha { get; } = new("--alpha") { Description = "LoRA alpha (scale = alpha / r; default 2·r)" };
    public Option<float?> Dropout { get; } = new("--dropout") { Description = "dropout on the adapter's input (LoRA) or code (ReFT)" };
    public Option<string?> Targets { get; } = new("--targets") { Description = "LoRA projections, comma-separated (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj; default q_proj,v_proj)" };
    public Option<string?> Layers { get; } = new("--layers") { Description = "layers, comma-separated (default: all)" };
    public Option<string?> Positions { get; } = new("--positions") { Description = "ReFT prompt positions, pyreft style (default f7+l7)" };
    public Option<bool> Untied { get; } = new("--untied") { Description = "ReFT: separate weights for prefix and suffix positions" };
    public Option<double?> MaskRatio { get; } = new("--mask-ratio") { Description = "GMT: fraction k in [0, 1) of accumulated-gradient entries (smallest |g|) zeroed before each step (default 0.1)" };
    public Option<bool> GlobalMask { get; } = new("--global-mask") { Description = "GMT: one percentile over all targets instead of per tensor" };

    public IEnumerable<Option> All => [Method, Rank, Alpha, Dropout, Targets, Layers, Positions, Untied, MaskRatio, GlobalMask];

    /// <summary>Which methods read each option (--layers: all); given to any other method, it is refused by name rather than ignored.</summary>
    IEnumerable<(Option Option, string[] Methods)> Readers()
    {
        string[] reft = [AdapterMethods.LoReft, AdapterMethods.DiReft];
        string[] weightDeltas = [AdapterMethods.Tarp, AdapterMethods.TarpStatic, .. AdapterMethods.All.Where(AdapterMethods.IsStructured)];
        yield return (Rank, [AdapterMethods.Lora, .. reft, .. weightDeltas]);
        yield return (Alpha, [AdapterMethods.Lora]);
        yield return (Dropout, [AdapterMethods.Lora, .. reft]);
        yield return (Targets, [AdapterMethods.Lora, AdapterMethods.Gmt, .. weightDeltas]);
        yield return (Positions, reft);
        yield return (Untied, reft);
        yield return (MaskRatio, [AdapterMethods.Gmt]);
        yield return (GlobalMask, [AdapterMethods.Gmt]);
    }

    void RefuseUnread(ParseResult parse, string method)
    {
        foreach (var (option, methods) in Readers())
            if (parse.IsGiven(option) && !methods.Contains(method))
                throw new ArgumentException($"{option.Name} applies to {string.Join(", ", methods)}, not {method}");
    }

    /// <summary>The method's config from the options, validated (against <paramref name="model"/>'s shape when given).</summary>
    public JsonObject Hyperparameters(ParseResult parse, LlamaConfig? model = null)
    {
        string method = parse.GetValue(Method)!;
        if (AdapterMethods.All.Contains(method)) RefuseUnread(parse, method);
        IReadOnlyList<int> layers = ParseList(parse.GetValue(Layers), "--layers", int.Parse);
        float dropout = parse.GetValue(Dropout) ?? 0;
        switch (method)
        {
            case AdapterMethods.Lora:
                var lora = new LoraConfig { Dropout = dropout, Layers = layers };
                int loraRank = parse.GetValue(Rank) ?? lora.Rank;
                lora = lora with
                {
                    Rank = loraRank,
                    Alpha = parse.GetValue(Alpha) ?? 2f * loraRank,
                    TargetModules = TargetList(parse) ?? lora.TargetModules,
                };
                return AdapterManifest.ToJsonObject(lora.Validate(model));
            case AdapterMethods.LoReft or AdapterMethods.DiReft:
                var reft = new ReftConfig { Dropout = dropout, Layers = layers, Untied = parse.GetValue(Untied) };
                reft = reft with { Rank = parse.GetValue(Rank) ?? reft.Rank, Positions = parse.GetValue(Positions) ?? reft.Positions };
                return AdapterManifest.ToJsonObject(reft.Validate(model));
            case AdapterMethods.Gmt:
                var gmt = new GmtConfig { Layers = layers, GlobalMask = parse.GetValue(GlobalMask) };
                gmt = gmt with { MaskRatio = parse.GetValue(MaskRatio) ?? gmt.MaskRatio, TargetModules = TargetList(parse) ?? gmt.TargetModules };
                return AdapterManifest.ToJsonObject(gmt.Validate(model));
            case AdapterMethods.Tarp or AdapterMethods.TarpStatic:
                var tarp = new TarpConfig { Layers = layers };
                tarp = tarp with { Rank = parse.GetValue(Rank) ?? tarp.Rank, TargetModules = TargetList(parse) ?? tarp.TargetModules };
                return AdapterManifest.ToJsonObject(tarp.Validate(model));
            case var structured when AdapterMethods.IsStructured(structured):
                var surm = new StructuredConfig { Layers = layers };
                surm = surm with { Rank = parse.GetValue(Rank) ?? surm.Rank, TargetModules = TargetList(parse) ?? surm.TargetModules };
                return AdapterManifest.ToJsonObject(surm.Validate(method, model));
            default:
                throw new ArgumentException($"unknown method '{method}'; known: {string.Join(", ", AdapterMethods.All)}");
        }
    }

    IReadOnlyList<string>? TargetList(ParseResult parse) => parse.GetValue(Targets) is { } t ? ParseList(t, "--targets", s => s) : null;

    static IReadOnlyList<T> ParseList<T>(string? text, string option, Func<string, T> parse)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        try { return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToList(); }
        catch (FormatException) { throw new ArgumentException($"{option} '{text}' is not a comma-separated list of the expected values"); }
    }
}
