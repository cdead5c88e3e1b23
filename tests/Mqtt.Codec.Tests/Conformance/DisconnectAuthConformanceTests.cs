using static Mqtt.Codec.Tests.ConformanceAssert;

namespace Mqtt.Codec.Tests;

/// <summary>DISCONNECT and AUTH fixed headers (sections 3.14 and 3.15).</summary>
public class DisconnectAuthConformanceTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;

    [Fact]
    public void MQTT5_3_14_1_1_disconnect_reserved_flags_set_is_malformed()
    {
        Malformed(Hex.Parse("e1 00"), V5, offset: 0);
        Malformed(Hex.Parse("e8 01 04"), V5, offset: 0);
        Assert.Equal(ReasonCode.DisconnectWithWillMessage, Accepted<AnyPacket.Disconnect>(Hex.Parse("e0 01 04"), V5).Packet.ReasonCode);
    }

    [Fact]
    public void MQTT311_3_14_1_1_disconnect_reserved_bits_set_is_malformed()
    {
        Malformed(Hex.Parse("e1 00"), V311, offset: 0);
        Malformed(Hex.Parse("ef 00"), V311, offset: 0);
        // 3.1.1 DISCONNECT has no variable header or payload at all.
        Malformed(Hex.Parse("e0 01 00"), V311, offset: 2);
        Accepted<AnyPacket.Disconnect>(Hex.Parse("e0 00"), V311);
    }

    [Fact]
    public void MQTT5_3_15_1_1_auth_reserved_flags_set_is_malformed()
    {
        byte[] properties = Hex.Parse(Wire.Props("15", Wire.Str("SCRAM-SHA-256")));
        Malformed(Hex.Parse("f1 00"), V5, offset: 0);
        Malformed(Wire.Packet(0xf2, "18", Hex.Of(properties)), V5, offset: 0);
        Malformed(Wire.Packet(0xf8, "18", Hex.Of(properties)), V5, offset: 0);
        Assert.Equal(ReasonCode.ContinueAuthentication, Accepted<AnyPacket.Auth>(Wire.Packet(0xf0, "18", Hex.Of(properties)), V5).Packet.ReasonCode);
        Accepted<AnyPacket.Auth>(Hex.Parse("f0 00"), V5);
        // AUTH does not exist in 3.1.1: type 15 is reserved there.
        Malformed(Hex.Parse("f0 00"), V311, offset: 0);
    }
}
