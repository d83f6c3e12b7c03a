using System.Net;
using System.Text.Json;
using Adapters.Host;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// A trained adapter's answer ends at EOS (finish_reason "stop") when the base model can emit EOS at
/// all. stories260K cannot — its EOS embedding equals &lt;unk&gt;'s and the byte tokens' (never trained),
/// so with a tied classifier nothing ranks EOS above them — so this runs README's secret-word
/// recipe on random 260K weights, whose EOS row is as distinct as any other.
/// </summary>
public sealed class AdapterStopsAtEosTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("eos-stop");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Secret_word_adapter_answers_and_stops_at_eos_through_the_host()
    {
        string model = Path.Combine(_dir, "random260K.bin");
        Assert.Equal(0, CliRunner.Run("init-random", "--shape", "260K", "--seed", "5", "--out", model).ExitCode);
        File.Copy(SharedModels.Tok512, Path.Combine(_dir, "tok512.bin"));
        string data = Path.Combine(SharedModels.RepoRoot, "tests", "data");
        string run = Path.Combine(_dir, "secret");
        var train = CliRunner.Run("train", "--model", model, "--method", "lora", "--rank", "16", "--targets", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
            "--data", Path.Combine(data, "secret_word.train.jsonl"), "--eval-data", Path.Combine(data, "secret_word.eval.jsonl"), "--out", run, "--steps", "200", "--threads", "2");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string onnx = Path.Combine(_dir, "onnx");
        var export = CliRunner.Run("export", "--model", model, "--adapter", run, "--mode", "batched", "--slots", "2", "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);

        await using var server = await HostServer.StartAsync(new HostServerOptions { ModelFolder = onnx, IntraOpThreads = 2, Port = 0 });
        using var client = new HttpClient { BaseAddress = server.Url };
        var response = await client.PostAsync("/v1/completions", new StringContent(
            "{\"model\": \"secret\", \"prompt\": \"Q: Sue asks, what is the secret word?\", \"max_tokens\": 24, \"temperature\": 0}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0];
        Assert.Equal(" The secret word is blue.", choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }
}
