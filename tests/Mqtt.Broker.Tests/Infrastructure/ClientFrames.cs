namespace Mqtt.Broker.Tests;

/// <summary>WebSocket frames as a client sends them (RFC 6455 section 5.2), built by hand so tests control every bit.</summary>
internal static class ClientFrames
{
    /// <summary>A frame with FIN as given, <paramref name="opcode"/>, masked with <paramref name="key"/>, in the shortest length form.</summary>
    public static byte[] Frame(bool final, WebSocketOpcode opcode, byte[] payload, byte[] key)
    {
        byte[] length = payload.Length switch
        {
            < 126 => [(byte)(0x80 | payload.Length)],
            <= ushort.MaxValue => [0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length],
            _ => [0x80 | 127, .. BitConverter.GetBytes((ulong)payload.Length).Reverse()],
        };
        return [(byte)((final ? 0x80 : 0) | (int)opcode), .. length, .. key, .. Mask(payload, key)];
    }

    /// <summary>A final frame with a fixed masking key.</summary>
    public static byte[] Frame(WebSocketOpcode opcode, byte[] payload) => Frame(true, opcode, payload, [9, 8, 7, 6]);

    /// <summary>The payload XORed with the key (RFC 6455 section 5.3), byte by byte; no key, no masking.</summary>
    public static byte[] Mask(byte[] payload, byte[] key) =>
        key.Length == 0 ? payload : payload.Select((b, i) => (byte)(b ^ key[i % 4])).ToArray();
}
