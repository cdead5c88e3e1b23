namespace Mqtt.Codec;

/// <summary>
/// Why bytes could not be read as a packet: the reason code to answer with, where in the packet
/// the problem was found, and a short fixed description (never formatted, so reporting allocates nothing).
/// </summary>
/// <param name="ReasonCode">0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet too large, ...</param>
/// <param name="Offset">Byte offset from the start of the packet (its fixed header).</param>
/// <param name="Message">What rule was broken, citing the spec statement where there is one.</param>
public readonly record struct DecodeError(ReasonCode ReasonCode, long Offset, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"0x{(byte)ReasonCode:X2} {ReasonCode} at offset {Offset}: {Message}";
}
