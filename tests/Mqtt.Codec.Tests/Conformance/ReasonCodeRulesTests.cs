using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Every one of the 256 byte values as the reason code of each packet that has one: read when the packet's
/// table lists it (<see cref="SpecReasonCodes"/>), a Protocol Error at the code's offset otherwise.
/// </summary>
public class ReasonCodeRulesTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;

    public static TheoryData<string> Packets() => new("CONNACK", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBACK", "UNSUBACK", "DISCONNECT", "AUTH");

    [Theory]
    [MemberData(nameof(Packets))]
    public void Reason_codes_outside_the_packets_table_are_protocol_errors(string packet)
    {
        for (int code = 0; code < 256; code++)
        {
            string c = $"{code:x2}";
            (byte[] bytes, int offset, byte[] allowed) = packet switch
            {
                "CONNACK" => (Packet(0x20, "00", c, Props()), 3, SpecReasonCodes.ConnAck),
                "PUBACK" => (Packet(0x40, "0001", c), 4, SpecReasonCodes.PubAckOrPubRec),
                "PUBREC" => (Packet(0x50, "0001", c), 4, SpecReasonCodes.PubAckOrPubRec),
                "PUBREL" => (Packet(0x62, "0001", c), 4, SpecReasonCodes.PubRelOrPubComp),
                "PUBCOMP" => (Packet(0x70, "0001", c), 4, SpecReasonCodes.PubRelOrPubComp),
                "SUBACK" => (Packet(0x90, "0001", Props(), "00", c), 6, SpecReasonCodes.SubAck),
                "UNSUBACK" => (Packet(0xb0, "0001", Props(), "00", c), 6, SpecReasonCodes.UnsubAck),
                "DISCONNECT" => (Packet(0xe0, c), 2, SpecReasonCodes.Disconnect),
                "AUTH" => (Packet(0xf0, c, Props("15" + Str("m"))), 2, SpecReasonCodes.Auth),
                _ => throw new ArgumentOutOfRangeException(nameof(packet)),
            };
            if (Array.IndexOf(allowed, (byte)code) >= 0)
            {
                Assert.True(PacketDecoder.Decode(bytes, V5).Status == DecodeStatus.Complete, $"{packet} with reason code 0x{c} must be read");
            }
            else
            {
                ProtocolError(bytes, V5, offset: offset);
            }
        }
    }

    [Fact]
    public void Connack_3_1_1_return_codes_0_to_5_map_to_their_mqtt5_reason_codes()
    {
        byte[] expected = [0x00, 0x84, 0x85, 0x88, 0x86, 0x87];
        for (int code = 0; code < 256; code++)
        {
            byte[] bytes = [0x20, 0x02, 0x00, (byte)code];
            if (code <= 5)
            {
                var connAck = Accepted<AnyPacket.ConnAck>(bytes, ProtocolVersion.V311);
                Assert.Equal(expected[code], (byte)connAck.Packet.ReasonCode);
                Assert.Equal(code, connAck.ToBytes(ProtocolVersion.V311)[3]);
            }
            else
            {
                ProtocolError(bytes, ProtocolVersion.V311, offset: 3);
            }
        }
    }
}
