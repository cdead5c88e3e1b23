using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Mqtt.Broker.Tests;

/// <summary>The client side of a WebSocket opening handshake (RFC 6455 section 4.1), written out by hand so tests control every header.</summary>
internal static class WebSocketHandshake
{
    /// <summary>A valid request for <paramref name="path"/>; <paramref name="extraHeaders"/> are lines ending in CRLF.</summary>
    public static string Request(string key, string? subprotocols = "mqtt", string path = "/mqtt", string extraHeaders = "", string version = "13") =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n"
        + (subprotocols is null ? "" : $"Sec-WebSocket-Protocol: {subprotocols}\r\n")
        + extraHeaders + "\r\n";

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>The Sec-WebSocket-Accept a server must answer to <paramref name="key"/>, computed here independently of the broker.</summary>
    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>Sends <paramref name="request"/> and reads the response head, a byte at a time so nothing after it is taken.</summary>
    public static async Task<Response> ExchangeAsync(Stream stream, string request)
    {
        using var cts = new CancellationTokenSource(RawClient.Timeout);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);
        return await ReadResponseAsync(stream, cts.Token);
    }

    private static async Task<Response> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.True(head.Length < 16_384, "the response head never ended");
            int read;
            try
            {
                read = await stream.ReadAsync(one, cancellationToken);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                read = 0;
            }
            if (read == 0)
            {
                Assert.Fail($"the connection closed before the response head ended: '{head}'");
            }
            head.Append((char)one[0]);
        }
        string[] lines = head.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new Response(int.Parse(lines[0].Split(' ')[1]), headers);
    }

    public sealed record Response(int Status, Dictionary<string, string> Headers)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;
    }
}
