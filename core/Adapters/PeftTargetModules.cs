using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// Which modules a PEFT adapter_config.json's target_modules selects, decided as PEFT decides it
/// (peft.tuners.tuners_utils.check_target_module_exists) over the module names of a Hugging Face
/// LLaMA model ("model.layers.0.self_attn.q_proj", "lm_head", …):
/// <list type="bullet">
/// <item>a list: a module is selected when its name equals an entry or ends with "." + the entry,
/// then only in layers_to_transform when that is given;</item>
/// <item>a string: a regular expression full-matched against whole names (PEFT's re.fullmatch;
/// layers_to_transform does not apply then, so the two together are refused); "all-linear" is
/// every linear layer but the output head.</item>
/// </list>
/// The selection must be projections only, and the same projections in every selected layer
/// (what <see cref="LoraConfig"/> holds); anything else is refused naming the field.
/// </summary>
public static class PeftTargetModules
{
    /// <summary>PEFT's shorthand for every linear layer except the output layer.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>A regular expression from a file gets this long to match one module name.</summary>
    static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    /// <returns>The projections, and the layers (empty = all).</returns>
    /// <exception cref="ArgumentException">The selection cannot be served; the message names target_modules.</exception>
    public static (List<string> Targets, List<int> Layers) Resolve(JsonNode? targetModules, IReadOnlyList<int>? layersToTransform, LlamaConfig model)
    {
        Func<string, bool> selects = targetModules switch
        {
            JsonValue v when v.TryGetValue(out string? pattern) => FromString(pattern!, layersToTransform),
            JsonArray a => FromList(a),
            null => throw new ArgumentException("target_modules is missing"),
            _ => throw new ArgumentException("target_modules must be a list of module names or a regular expression string"),
        };
        var selected = new List<(int Layer, string Projection)>();
        foreach (string module in ModuleNames(model))
        {
            if (!selects(module)) continue;
            if (ProjectionOf(module, model) is not { } site)
                throw new ArgumentException($"target_modules selects '{module}', which is not one of the projections {string.Join(", ", LlamaTensorNames.Projections)}");
            if (targetModules is JsonArray && layersToTransform is { Count: > 0 } && !layersToTransform.Contains(site.Layer)) continue;
            selected.Add(site);
        }
        if (selected.Count == 0)
            throw new ArgumentException(targetModules is JsonArray
                ? "target_modules matches no projection of this model"
                : "target_modules matches no module: PEFT full-matches a string against whole module names such as 'model.layers.0.self_attn.q_proj'");
        var targets = LlamaTensorNames.Projections.Where(p => selected.Any(s => s.Projection == p)).ToList();
        var layers = selected.Select(s => s.Layer).Distinct().Order().ToList();
        if (selected.Count != targets.Count * layers.Count)
            throw new ArgumentException("target_modules selects different projections in different layers; only the same projections in every adapted layer are supported");
        return (targets, layers.Count == model.NumLayers ? [] : layers);
    }

    static Func<string, bool> FromString(string pattern, IReadOnlyList<int>? layersToTransform)
    {
        if (layersToTransform is { Count: > 0 })
            throw new ArgumentException("layers_to_transform with a regular-expression target_modules: PEFT ignores layers_to_transform then; give target_modules as a list, or drop layers_to_transform");
        if (pattern == AllLinear) return module => ProjectionName(module) is not null;
        Regex regex;
        try { regex = new Regex($"^(?:{pattern})\\z", RegexOptions.CultureInvariant, MatchTimeout); }
        catch (ArgumentException) { throw new ArgumentException("target_modules is a string but not a regular expression this reader can use"); }
        return module =>
        {
            try { return regex.IsMatch(module); }
            catch (RegexMatchTimeoutException) { throw new ArgumentException("target_modules: the regular expression takes too long to match"); }
        };
    }

    static Func<string, bool> FromList(JsonArray entries)
    {
        var names = new List<string>();
        foreach (var entry in entries)
        {
            if (entry is not JsonValue v || !v.TryGetValue(out string? name) || string.IsNullOrEmpty(name))
                throw new ArgumentException("target_modules must list module names (strings)");
            names.Add(name);
        }
        if (names.Count == 0) throw new ArgumentException("target_modules is empty");
        return module => names.Any(n => module == n || module.EndsWith("." + n, StringComparison.Ordinal));
    }

    /// <summary>Every module name of a Hugging Face LlamaForCausalLM of this shape, as named_modules() lists them.</summary>
    static IEnumerable<string> ModuleNames(LlamaConfig model)
    {
        yield return "model";
        yield return "model.embed_tokens";
        yield return "model.layers";
        for (int l = 0; l < model.NumLayers; l++)
        {
            string layer = LlamaTensorNames.Layer(l);
            yield return layer;
            yield return layer + ".self_attn";
            foreach (string p in LlamaTensorNames.Projections.Take(4)) yield return LlamaTensorNames.ProjectionModule(l, p);
            yield return layer + ".mlp";
            foreach (string p in LlamaTensorNames.Projections.Skip(4)) yield return LlamaTensorNames.ProjectionModule(l, p);
            yield return layer + ".mlp.act_fn";
            yield return layer + ".input_layernorm";
            yield return layer + ".post_attention_layernorm";
        }
        yield return "model.norm";
        yield return "model.rotary_emb";
        yield return "lm_head";
    }

    static string? ProjectionName(string module)
    {
        string last = module[(module.LastIndexOf('.') + 1)..];
        return LlamaTensorNames.Projections.Contains(last) && module.StartsWith("model.layers.", StringComparison.Ordinal) ? last : null;
    }

    static (int Layer, string Projection)? ProjectionOf(string module, LlamaConfig model)
    {
        if (ProjectionName(module) is not { } projection) return null;
        for (int l = 0; l < model.NumLayers; l++)
            if (LlamaTensorNames.ProjectionModule(l, projection) == module) return (l, projection);
        return null;
    }
}
