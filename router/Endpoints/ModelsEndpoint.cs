using System.Text.Json.Nodes;
using Adapters.Router.Replicas;
using Microsoft.AspNetCore.Http;

namespace Adapters.Router.Endpoints;

/// <summary>
/// GET /v1/models: the union of the available replicas' lists (one card per id, the base model
/// first), so a client sees every adapter any replica has registered. GET /v1/models/{id}: the card
/// from a replica that has it.
/// </summary>
internal static class ModelsEndpoint
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task ListAsync(HttpContext http, ReplicaDirectory directory, ReplicaClient client)
    {
        var answers = await AskAllAsync(http, directory, client);
        var cards = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var answer in answers.Where(a => a.Status == StatusCodes.Status200OK))
            foreach (var card in answer.Body?["data"]?.AsArray() ?? [])
                if (IdOf(card) is { } id && !cards.ContainsKey(id)) cards[id] = card!.DeepClone();
        var data = new JsonArray(cards.Values
            .OrderBy(c => c["kind"] is JsonValue kind && kind.TryGetValue(out string? k) && k == "base" ? 0 : 1)
            .ThenBy(c => IdOf(c), StringComparer.Ordinal).ToArray());
        await WriteJson(http, StatusCodes.Status200OK, new JsonObject { ["object"] = "list", ["data"] = data });
    }

    public static async Task OneAsync(HttpContext http, ReplicaDirectory directory, ReplicaClient client, string id)
    {
        var answers = await AskAllAsync(http, directory, client);
        foreach (var answer in answers.Where(a => a.Status == StatusCodes.Status200OK))
            foreach (var card in answer.Body?["data"]?.AsArray() ?? [])
                if (IdOf(card) == id)
                {
                    await WriteJson(http, StatusCodes.Status200OK, card!.DeepClone());
                    return;
                }
        throw new RouterError(StatusCodes.Status404NotFound, "invalid_request_error", $"the model '{id}' does not exist on any replica", "model", "model_not_found");
    }

    static async Task<ReplicaAnswer[]> AskAllAsync(HttpContext http, ReplicaDirectory directory, ReplicaClient client)
    {
        var replicas = directory.Available.Select(d => d.DestinationId).ToList();
        var answers = await Task.WhenAll(replicas.Select(r => client.SendAsync(r, HttpMethod.Get, "/v1/models", null, null, Timeout, http.RequestAborted)));
        if (!answers.Any(a => a.Status == StatusCodes.Status200OK))
            throw new RouterError(StatusCodes.Status503ServiceUnavailable, "service_unavailable_error",
                replicas.Count == 0 ? "no replica is available" : $"no replica listed its models ({string.Join("; ", answers.Select(Describe))})", code: "no_replica");
        return answers;
    }

    /// <summary>A card's "id" when it is a string (a replica's list is read defensively: it is another process's output).</summary>
    static string? IdOf(JsonNode? card) => card is JsonObject o && o["id"] is JsonValue v && v.TryGetValue(out string? id) ? id : null;

    internal static string Describe(ReplicaAnswer a) => a.Reached ? $"{a.Replica}: {a.Status}" : $"{a.Replica}: {a.Failure}";

    internal static Task WriteJson(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body.ToJsonString());
    }
}
