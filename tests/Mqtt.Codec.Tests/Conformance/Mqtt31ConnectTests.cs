using System.Buffers;
using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// MQTT 3.1 (protocol name "MQIsdp", level 3), which old clients still speak (<c>mosquitto_pub -V mqttv31</c>): its
/// CONNECT is read as <see cref="ProtocolVersion.V310"/>, and its CONNACK has no Session Present (the byte is reserved).
/// Its other packets are 3.1.1's.
/// </summary>
public class Mqtt31ConnectTests
{
    private const string MQIsdp = "0006 4d5149736470";

    [Fact]
    public void MQIsdp_level_3_reads_as_mqtt_3_1_and_writes_back_the_same_bytes()
    {
        byte[] input = Packet(0x10, MQIsdp, "03 c2 003c", Str("old-client"), Str("user"), Str("pw"));
        ConnectPacket connect = Accepted<AnyPacket.Connect>(input, ProtocolVersion.V500).Packet;
        Assert.Equal(ProtocolVersion.V310, connect.Version);
        Assert.Equal("old-client", MqttUtf8.GetString(connect.ClientId));

        var output = new ArrayBufferWriter<byte>();
        connect.Write(output);
        Assert.Equal(Hex.Of(input), Hex.Of(output.WrittenSpan));
        Assert.Equal(input.Length, connect.GetSize());
    }

    [Fact]
    public void A_name_and_level_that_do_not_belong_together_are_refused_with_0x84()
    {
        Refused(Packet(0x10, MQIsdp, "04 02 003c", Str("c")), ProtocolVersion.V500, ReasonCode.UnsupportedProtocolVersion, offset: 2);
        Refused(Packet(0x10, "0004 4d515454", "03 02 003c", Str("c")), ProtocolVersion.V500, ReasonCode.UnsupportedProtocolVersion, offset: 2);
    }

    [Fact]
    public void A_password_without_a_user_name_is_malformed_as_in_3_1_1()
    {
        Malformed(Packet(0x10, MQIsdp, "03 42 003c", Str("c"), Str("pw")), ProtocolVersion.V500, offset: 11);
    }

    [Fact]
    public void Connack_at_3_1_never_says_session_present()
    {
        var output = new ArrayBufferWriter<byte>();
        new ConnAckPacket { SessionPresent = true, ReasonCode = ReasonCode.Success }.Write(output, ProtocolVersion.V310);
        Assert.Equal("20020000", Hex.Of(output.WrittenSpan));
    }
}
