using Adapters.Core.Adapters;
using Adapters.Host.Admin;
using Adapters.Host.Api;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>
/// vLLM's runtime adapter API: POST /v1/load_lora_adapter {lora_name, lora_path} and
/// POST /v1/unload_lora_adapter {lora_name}. The token is checked before the body is read, and
/// the path is confined to the adapter roots before the admin sees it.
/// </summary>
internal static class AdapterAdminEndpoints
{
    public static async Task LoadAsync(HttpContext http, HostState state)
    {
        RequireAdmin(http, state);
        var request = await HttpJson.ReadAsync(http, HostJsonContext.Default.LoadLoraAdapterRequest);
        string name = RequireName(request.LoraName, state);
        string path;
        try { path = state.AdapterPaths.Resolve(request.LoraPath); }
        catch (AdapterPathException e)
        {
            string type = e.StatusCode switch
            {
                StatusCodes.Status403Forbidden => ErrorTypes.Permission,
                StatusCodes.Status404NotFound => ErrorTypes.NotFound,
                _ => ErrorTypes.InvalidRequest,
            };
            throw new ApiException(e.StatusCode, type, e.Message, "lora_path");
        }
        var model = await Call(() => state.Admin.LoadAsync(name, path, http.RequestAborted));
        state.Metrics.AdapterLoads.Inc();
        await HttpJson.WriteAsync(http, new StatusResponse
        {
            Status = "ok",
            Message = $"Success: LoRA adapter '{name}' added successfully.",
            Model = ModelsEndpoint.ToCard(model, state.Backend),
        }, HostJsonContext.Default.StatusResponse);
    }

    public static async Task UnloadAsync(HttpContext http, HostState state)
    {
        RequireAdmin(http, state);
        var request = await HttpJson.ReadAsync(http, HostJsonContext.Default.UnloadLoraAdapterRequest);
        string name = RequireName(request.LoraName, state);
        await Call(async () =>
        {
            await state.Admin.UnloadAsync(name, http.RequestAborted);
            return true;
        });
        await HttpJson.WriteAsync(http, new StatusResponse { Status = "ok", Message = $"Success: LoRA adapter '{name}' removed successfully." },
            HostJsonContext.Default.StatusResponse);
    }

    static void RequireAdmin(HttpContext http, HostState state)
    {
        if (state.AdminToken.IsAuthorized(http.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null)) return;
        throw new ApiException(StatusCodes.Status401Unauthorized, ErrorTypes.Authentication,
            "the admin endpoints need 'Authorization: Bearer <token>' with the server's admin token", code: "invalid_admin_token");
    }

    static string RequireName(string? name, HostState state)
    {
        // Names reach URLs, log lines and metric labels: only the documented set, and never echoed back.
        if (string.IsNullOrEmpty(name)) throw Invalid("lora_name is required");
        if (!AdapterNames.IsValid(name)) throw Invalid($"lora_name must be {AdapterNames.Rule}");
        if (name == state.Backend.BaseModelName) throw Invalid($"'{name}' is the base model's name; an adapter needs a name of its own");
        return name;
    }

    static async Task<T> Call<T>(Func<Task<T>> action)
    {
        try { return await action(); }
        catch (AdapterAdminException e)
        {
            var (status, type) = e.Error switch
            {
                AdapterAdminError.InvalidAdapter => (StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest),
                AdapterAdminError.NotFound => (StatusCodes.Status404NotFound, ErrorTypes.NotFound),
                AdapterAdminError.Conflict => (StatusCodes.Status409Conflict, ErrorTypes.InvalidRequest),
                AdapterAdminError.NoFreeSlot => (StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable),
                AdapterAdminError.NotSupported => (StatusCodes.Status501NotImplemented, ErrorTypes.NotImplemented),
                AdapterAdminError.OutsideRoots => (StatusCodes.Status403Forbidden, ErrorTypes.Permission),
                AdapterAdminError.Timeout => (StatusCodes.Status504GatewayTimeout, ErrorTypes.Timeout),
                AdapterAdminError.Busy => (StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable),
                _ => (StatusCodes.Status500InternalServerError, ErrorTypes.Server),
            };
            throw new ApiException(status, type, e.Message, "lora_name");
        }
    }

    static ApiException Invalid(string message) => new(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, message, "lora_name");
}
