using System.Text.Json;
using Adapters.Core.Templates;

namespace Adapters.Core.Tests.Templates;

/// <summary>Renders a small template with variables written as JSON (single quotes allowed for readability).</summary>
static class TemplateRendering
{
    public static string Render(string template, string variablesJson = "{}", TimeProvider? clock = null)
    {
        var variables = JsonDocument.Parse(variablesJson.Replace('\'', '"')).RootElement.EnumerateObject()
            .ToDictionary(p => p.Name, p => (object?)p.Value);
        return ChatTemplate.Parse(template, "test.jinja", clock).RenderVariables(variables);
    }
}
