using System.Net;
using System.Text.Json;

namespace Adapters.Host.Tests;

/// <summary>
/// The admin surface of the real server: the bearer token is checked first, then lora_path is
/// confined to the adapter roots; a request that passes both reaches the admin, which answers 501
/// on this plain export (no adapter inputs; see SchedulerAdminTests for the registry).
/// </summary>
[Collection(Stories260KCollection.Name)]
public sealed class AdminEndpointTests(Stories260KServer fixture)
{
    const string Load = "/v1/load_lora_adapter", Unload = "/v1/unload_lora_adapter";

    static string LoadBody(string name, string path) => JsonSerializer.Serialize(new Dictionary<string, string> { ["lora_name"] = name, ["lora_path"] = path });

    string InsideRoot => Path.Combine(fixture.AdapterRoot, "secret-lora");

    [Theory]
    [InlineData(Load)]
    [InlineData(Unload)]
    public async Task Missing_token_is_401(string path)
    {
        var response = await fixture.Client.PostJsonAsync(path, LoadBody("secret", InsideRoot));
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("wrong-token")]
    [InlineData(Stories260KServer.AdminToken + "x")]
    [InlineData("test-admin-token")]
    public async Task Wrong_token_is_401(string token)
    {
        var response = await fixture.Client.PostJsonAsync(Load, LoadBody("secret", InsideRoot), bearer: token);
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Token_in_another_scheme_is_401()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Load) { Content = new StringContent(LoadBody("secret", InsideRoot)) };
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Stories260KServer.AdminToken);
        await (await fixture.Client.SendAsync(request)).AssertErrorAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Valid_request_reaches_the_admin_which_answers_501_until_the_registry_lands()
    {
        var load = await fixture.Client.PostJsonAsync(Load, LoadBody("secret", InsideRoot), bearer: Stories260KServer.AdminToken);
        var error = await load.AssertErrorAsync(HttpStatusCode.NotImplemented);
        Assert.Contains("secret", error.GetProperty("message").GetString());

        var unload = await fixture.Client.PostJsonAsync(Unload, "{\"lora_name\": \"secret\"}", bearer: Stories260KServer.AdminToken);
        await unload.AssertErrorAsync(HttpStatusCode.NotImplemented);
    }

    /// <summary>lora_path, expected status.</summary>
    public static TheoryData<string, HttpStatusCode> RefusedPaths => new()
    {
        { "../outside", HttpStatusCode.BadRequest },
        { "secret-lora/../../outside", HttpStatusCode.BadRequest },
        { "/etc", HttpStatusCode.Forbidden },
        { "", HttpStatusCode.BadRequest },
        { "no-such-adapter", HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(RefusedPaths))]
    public async Task Lora_path_outside_the_roots_is_refused(string path, HttpStatusCode status)
    {
        var response = await fixture.Client.PostJsonAsync(Load, LoadBody("secret", path), bearer: Stories260KServer.AdminToken);
        await response.AssertErrorAsync(status, "lora_path");
    }

    [Fact]
    public async Task Absolute_path_outside_the_roots_is_403()
    {
        var response = await fixture.Client.PostJsonAsync(Load, LoadBody("secret", fixture.Outside), bearer: Stories260KServer.AdminToken);
        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "lora_path");
    }

    [Fact]
    public async Task Symlink_inside_the_root_pointing_outside_is_403()
    {
        string link = Path.Combine(fixture.AdapterRoot, $"escape-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(link, fixture.Outside);
        var response = await fixture.Client.PostJsonAsync(Load, LoadBody("secret", link), bearer: Stories260KServer.AdminToken);
        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "lora_path");
    }

    [Theory]
    [InlineData("{\"lora_path\": \"secret-lora\"}")]
    [InlineData("{\"lora_name\": \"stories260K\", \"lora_path\": \"secret-lora\"}")]
    [InlineData("{\"lora_name\": \"has space\", \"lora_path\": \"secret-lora\"}")]
    [InlineData("{\"lora_name\": ")]
    public async Task Bad_lora_name_or_body_is_400(string body)
    {
        var response = await fixture.Client.PostJsonAsync(Load, body, bearer: Stories260KServer.AdminToken);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest);
    }
}
