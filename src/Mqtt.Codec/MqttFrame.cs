using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// One whole packet located in the input but not yet decoded: its fixed header and its body
/// (variable header and payload, exactly Remaining Length bytes), a slice of the input.
/// </summary>
public readonly struct MqttFrame
{
    /// <summary>Creates a frame; <paramref name="headerLength"/> is the size of the fixed header in bytes.</summary>
    public MqttFrame(PacketType type, byte flags, int headerLength, ReadOnlySequence<byte> body)
    {
        Type = type;
        Flags = flags;
        HeaderLength = headerLength;
        Body = body;
    }

    /// <summary>The packet type (high nibble of byte 1).</summary>
    public PacketType Type { get; }

    /// <summary>The flags (low nibble of byte 1).</summary>
    public byte Flags { get; }

    /// <summary>Size of the fixed header: one byte plus the Remaining Length's 1 to 4.</summary>
    public int HeaderLength { get; }

    /// <summary>The variable header and payload.</summary>
    public ReadOnlySequence<byte> Body { get; }

    /// <summary>Size of the whole packet on the wire.</summary>
    public long Length => HeaderLength + Body.Length;
}
