using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Mqtt.Broker;

/// <summary>
/// The server side of the WebSocket opening handshake (RFC 6455 section 4.2) for MQTT over WebSocket (MQTT 5.0
/// section 6): reads the client's HTTP upgrade request, checks it, and answers 101 with the subprotocol "mqtt"
/// [MQTT-6.0.0-4], or with an HTTP error before the connection is closed. Any request path is served, as Mosquitto does.
/// </summary>
internal static class WebSocketUpgrade
{
    /// <summary>Largest request head read; a longer one is refused with 431.</summary>
    public const int MaximumRequestSize = 8192;

    /// <summary>Enough for a usual request head (MQTT.js sends about 250 bytes, a browser 500-700).</summary>
    private const int InitialBufferSize = 1024;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>
    /// The subprotocols served, in order of preference: "mqtt" (MQTT 3.1.1 and 5.0) and "mqttv3.1", which older
    /// MQTT 3.1.1 clients (Paho JavaScript) still offer.
    /// </summary>
    private static readonly string[] Subprotocols = ["mqtt", "mqttv3.1"];

    /// <summary>
    /// Reads the request from <paramref name="stream"/> and answers it. Returns the subprotocol chosen (null when the
    /// client offered none); throws <see cref="IOException"/> after answering a request it refuses.
    /// </summary>
    public static async Task<string?> AcceptAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        try
        {
            (buffer, int head, int received) = await ReadRequestHeadAsync(stream, cancellationToken);
            if (head == NotAnUpgrade)
            {
                await RefuseAsync(stream, "400 Bad Request", "", cancellationToken);
            }
            if (head < 0)
            {
                await RefuseAsync(stream, "431 Request Header Fields Too Large", "", cancellationToken);
            }
            // The client may send nothing more before our answer (RFC 6455 section 4.1).
            Request request = head == received ? Parse(Encoding.Latin1.GetString(buffer, 0, head)) : Request.Refused("400 Bad Request");
            if (request.Refusal is not null)
            {
                await RefuseAsync(stream, request.Refusal, request.RefusalHeaders, cancellationToken);
            }
            string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {AcceptKey(request.Key!)}\r\n"
                + (request.Subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {request.Subprotocol}\r\n")
                + "\r\n";
            await stream.WriteAsync(Encoding.Latin1.GetBytes(response), cancellationToken);
            return request.Subprotocol;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 section 4.2.2).</summary>
    public static string AcceptKey(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.Latin1.GetBytes(key + AcceptGuid)));

    /// <summary>The head "length" of input that does not start as an upgrade request (a GET) does.</summary>
    private const int NotAnUpgrade = -2;

    /// <summary>
    /// Reads up to the blank line that ends the request head into a buffer from the pool, for the caller to give back:
    /// that buffer, the head's length including the blank line (-1 when it does not end within
    /// <see cref="MaximumRequestSize"/> bytes, <see cref="NotAnUpgrade"/> as soon as the first bytes are not "GET ")
    /// and the bytes received. The buffer is small at first and grows only for
    /// a long request, since a storm of upgrades holds one per upgrade in flight.
    /// </summary>
    private static async Task<(byte[] Buffer, int Head, int Received)> ReadRequestHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            int length = 0;
            while (length < MaximumRequestSize)
            {
                if (length == buffer.Length)
                {
                    buffer = Grow(buffer, length);
                }
                int read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, MaximumRequestSize) - length), cancellationToken);
                if (read == 0)
                {
                    throw new IOException("the connection closed during the WebSocket handshake");
                }
                int searchFrom = Math.Max(0, length - 3);
                length += read;
                int start = Math.Min(length, 4);
                if (!buffer.AsSpan(0, start).SequenceEqual("GET "u8[..start]))
                {
                    // MQTT, TLS or anything but an upgrade: refused at once rather than at the CONNECT timeout.
                    return (buffer, NotAnUpgrade, length);
                }
                int end = buffer.AsSpan(searchFrom, length - searchFrom).IndexOf("\r\n\r\n"u8);
                if (end >= 0)
                {
                    return (buffer, searchFrom + end + 4, length);
                }
            }
            return (buffer, -1, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>A pooled buffer twice as large holding the first <paramref name="length"/> bytes; the old one goes back.</summary>
    private static byte[] Grow(byte[] buffer, int length)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaximumRequestSize));
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private static async Task RefuseAsync(Stream stream, string status, string headers, CancellationToken cancellationToken)
    {
        string response = $"HTTP/1.1 {status}\r\n{headers}Connection: close\r\nContent-Length: 0\r\n\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(response), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        throw new IOException($"WebSocket handshake refused: {status}");
    }

    /// <summary>Checks a request head (RFC 6455 section 4.2.1).</summary>
    private static Request Parse(string head)
    {
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine is not ["GET", _, "HTTP/1.1"])
        {
            return Request.Refused("400 Bad Request");
        }
        string? upgrade = null, connection = null, key = null, version = null, protocols = null;
        foreach (string line in lines.AsSpan(1))
        {
            if (line.Length == 0)
            {
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                return Request.Refused("400 Bad Request");
            }
            string value = line[(colon + 1)..].Trim();
            switch (line[..colon].Trim().ToLowerInvariant())
            {
                case "upgrade": upgrade = Join(upgrade, value); break;
                case "connection": connection = Join(connection, value); break;
                case "sec-websocket-key": key = Join(key, value); break;
                case "sec-websocket-version": version = Join(version, value); break;
                case "sec-websocket-protocol": protocols = Join(protocols, value); break;
            }
        }
        if (!HasToken(upgrade, "websocket") || !HasToken(connection, "upgrade"))
        {
            return Request.Refused("426 Upgrade Required", "Upgrade: websocket\r\n");
        }
        if (version != "13")
        {
            return Request.Refused("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n");
        }
        if (!IsKey(key))
        {
            return Request.Refused("400 Bad Request");
        }
        if (protocols is null)
        {
            return new Request(key, null);
        }
        foreach (string served in Subprotocols)
        {
            if (HasToken(protocols, served, StringComparison.Ordinal))
            {
                return new Request(key, served);
            }
        }
        // A client that asks only for protocols other than MQTT is not an MQTT client (EMQX refuses it too).
        return Request.Refused("400 Bad Request");
    }

    private static string Join(string? earlier, string value) => earlier is null ? value : $"{earlier}, {value}";

    private static bool HasToken(string? list, string token, StringComparison comparison = StringComparison.OrdinalIgnoreCase)
    {
        foreach (string item in (list ?? "").Split(','))
        {
            if (item.Trim().Equals(token, comparison))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A Sec-WebSocket-Key is 16 random bytes in base64 [RFC 6455 section 4.1].</summary>
    private static bool IsKey(string? key)
    {
        Span<byte> bytes = stackalloc byte[18];
        return key is { Length: 24 } && Convert.TryFromBase64String(key, bytes, out int written) && written == 16;
    }

    private sealed record Request(string? Key, string? Subprotocol, string? Refusal = null, string RefusalHeaders = "")
    {
        public static Request Refused(string status, string headers = "") => new(null, null, status, headers);
    }
}
