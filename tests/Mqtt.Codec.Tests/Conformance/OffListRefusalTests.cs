using System.Buffers;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// <see cref="OffListRefusal"/> reads a PUBACK or PUBREC refusal whose code that packet may not carry (Mosquitto's
/// 0x95) and nothing else: a listed code in a packet the strict reader refused is a malformed packet, not a refusal.
/// </summary>
public class OffListRefusalTests
{
    [Theory]
    [InlineData((byte)0x40)]
    [InlineData((byte)0x50)]
    public void Only_refusal_codes_missing_from_the_packets_list_are_read(byte header)
    {
        var type = (PacketType)(header >> 4);
        for (int code = 0; code < 256; code++)
        {
            bool read = TryRead(Packet(header, "0102", $"{code:x2}"), ProtocolVersion.V500, out ushort packetId, out ReasonCode reasonCode);

            bool offListRefusal = code >= 0x80 && !ReasonCodes.IsValidFor(type, (ReasonCode)code);
            Assert.True(read == offListRefusal, $"{type} 0x{code:x2}: read {read}");
            if (read)
            {
                Assert.Equal((0x0102, (ReasonCode)code), (packetId, reasonCode));
            }
        }
    }

    [Fact]
    public void A_listed_refusal_with_a_malformed_property_block_is_not_read()
    {
        // 0x87 Not authorized is on PUBACK's list; a property length claiming more than the packet holds is malformed.
        byte[] bytes = Packet(0x40, "0102", "87", "05");

        Assert.Equal(DecodeStatus.Invalid, PacketDecoder.Decode(bytes, ProtocolVersion.V500).Status);
        Assert.False(TryRead(bytes, ProtocolVersion.V500, out _, out _));
    }

    [Theory]
    [InlineData("0102", ProtocolVersion.V311)] // MQTT 3.1.1 has no Reason Codes
    [InlineData("0000", ProtocolVersion.V500)] // Packet Identifier 0 names no publication
    public void Nothing_is_read_without_a_packet_to_refuse(string packetId, ProtocolVersion version) =>
        Assert.False(TryRead(Packet(0x40, packetId, "95"), version, out _, out _));

    [Fact]
    public void Other_packet_types_are_not_read() =>
        Assert.False(TryRead(Packet(0x70, "0102", "95"), ProtocolVersion.V500, out _, out _));

    private static bool TryRead(byte[] bytes, ProtocolVersion version, out ushort packetId, out ReasonCode reasonCode)
    {
        Assert.Equal(DecodeStatus.Complete, MqttFrameReader.TryRead(new ReadOnlySequence<byte>(bytes), int.MaxValue, out MqttFrame frame, out _));
        return OffListRefusal.TryRead(frame, version, out packetId, out reasonCode);
    }
}
