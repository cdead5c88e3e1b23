namespace Mqtt.Codec;

/// <summary>Which reason codes each packet may carry (MQTT 5 section 2.4 and each packet's table).</summary>
public static class ReasonCodes
{
    private static ReadOnlySpan<byte> ConnAck =>
        [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F];

    private static ReadOnlySpan<byte> PubAckOrPubRec => [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];

    private static ReadOnlySpan<byte> PubRelOrPubComp => [0x00, 0x92];

    private static ReadOnlySpan<byte> SubAck => [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2];

    private static ReadOnlySpan<byte> UnsubAck => [0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];

    private static ReadOnlySpan<byte> Disconnect =>
        [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2];

    private static ReadOnlySpan<byte> Auth => [0x00, 0x18, 0x19];

    /// <summary>True when <paramref name="code"/> is one that a packet of type <paramref name="type"/> may carry.</summary>
    public static bool IsValidFor(PacketType type, ReasonCode code) => type switch
    {
        PacketType.ConnAck => ConnAck.Contains((byte)code),
        PacketType.PubAck or PacketType.PubRec => PubAckOrPubRec.Contains((byte)code),
        PacketType.PubRel or PacketType.PubComp => PubRelOrPubComp.Contains((byte)code),
        PacketType.SubAck => SubAck.Contains((byte)code),
        PacketType.UnsubAck => UnsubAck.Contains((byte)code),
        PacketType.Disconnect => Disconnect.Contains((byte)code),
        PacketType.Auth => Auth.Contains((byte)code),
        _ => false,
    };
}
