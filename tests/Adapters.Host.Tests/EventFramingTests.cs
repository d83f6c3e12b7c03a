using System.Net.Sockets;
using System.Text;

namespace Adapters.Host.Tests;

/// <summary>
/// How a streamed answer is framed on the wire: each server-sent event is one HTTP chunk, so a
/// token costs one send and a proxy or client that reads chunk by chunk never sees half an event.
/// Read over a raw socket, below any HTTP client that would hide the chunking.
/// </summary>
public sealed class EventFramingTests
{
    [Fact]
    public async Task Every_event_of_a_stream_is_exactly_one_http_chunk()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend { TokensPerJob = 6 });
        var chunks = await PostAndReadChunksAsync(fake.Server.Url, fake.Body(maxTokens: 6, stream: true));

        Assert.True(chunks.Count >= 8, $"6 tokens, a finish chunk and [DONE] are at least 8 events; got {chunks.Count} chunks");
        Assert.All(chunks, chunk =>
        {
            Assert.StartsWith("data: ", chunk);
            Assert.EndsWith("\n\n", chunk);
            Assert.DoesNotContain("\n\n", chunk[..^2]); // one event, not two in one chunk
        });
        Assert.Equal("data: [DONE]\n\n", chunks[^1]);
    }

    /// <summary>Sends the POST over HTTP/1.1 and returns the body's chunks (chunked transfer coding) as text.</summary>
    static async Task<List<string>> PostAndReadChunksAsync(Uri server, string body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        byte[] payload = Encoding.UTF8.GetBytes(body);
        string head = $"POST /v1/completions HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(payload);

        using var reader = new BinaryReader(stream, Encoding.ASCII);
        string status = ReadLine(reader);
        Assert.StartsWith("HTTP/1.1 200", status);
        bool chunked = false;
        for (string line = ReadLine(reader); line.Length > 0; line = ReadLine(reader))
            chunked |= line.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);
        Assert.True(chunked, "a stream of unknown length is sent with chunked transfer coding");

        var chunks = new List<string>();
        while (true)
        {
            int size = Convert.ToInt32(ReadLine(reader), 16);
            if (size == 0) return chunks;
            chunks.Add(Encoding.UTF8.GetString(reader.ReadBytes(size)));
            Assert.Equal("", ReadLine(reader)); // the CRLF after each chunk's data
        }
    }

    static string ReadLine(BinaryReader reader)
    {
        var line = new StringBuilder();
        for (char c = (char)reader.ReadByte(); c != '\n'; c = (char)reader.ReadByte())
            if (c != '\r') line.Append(c);
        return line.ToString();
    }
}
