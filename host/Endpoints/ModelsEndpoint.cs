using Adapters.Host.Api;
using Adapters.Runtime.Backends;
using Adapters.Host.Completions;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>GET /v1/models: the base model and every loaded adapter; GET /v1/models/{id}: one of them (the SDKs' GetModel / models.retrieve).</summary>
internal static class ModelsEndpoint
{
    public static Task HandleAsync(HttpContext http, HostState state)
    {
        var cards = state.Backend.Models.Select(m => ToCard(m, state.Backend)).ToList();
        return HttpJson.WriteAsync(http, new ModelList { Data = cards }, HostJsonContext.Default.ModelList);
    }

    public static Task HandleOneAsync(HttpContext http, HostState state, string id)
    {
        var model = state.Backend.Models.FirstOrDefault(m => m.Id == id) ?? throw GenerationFieldsReader.UnknownModel(id);
        return HttpJson.WriteAsync(http, ToCard(model, state.Backend), HostJsonContext.Default.ModelCard);
    }

    public static ModelCard ToCard(ModelInfo model, ICompletionBackend backend) => new()
    {
        Id = model.Id,
        Created = model.Created.ToUnixTimeSeconds(),
        Root = model.Kind == ModelKind.Base ? model.Id : model.Parent ?? backend.BaseModelName,
        Parent = model.Kind == ModelKind.Base ? null : model.Parent ?? backend.BaseModelName,
        MaxModelLen = backend.ContextLength,
        Kind = model.Kind == ModelKind.Base ? "base" : "adapter",
        Method = model.Method,
        Rank = model.Rank,
    };
}
