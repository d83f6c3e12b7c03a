namespace Adapters.Host.Endpoints;

/// <summary>What every chunk of one response repeats: its id, creation time and model name.</summary>
internal readonly record struct ResponseIdentity(string Id, long Created, string Model);
