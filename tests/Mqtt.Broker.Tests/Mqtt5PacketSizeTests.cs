namespace Mqtt.Broker.Tests;

/// <summary>
/// MQTT 5.0: the Reason String and User Property rules of every acknowledgement ("omit them if the packet would
/// exceed the receiver's Maximum Packet Size"). The broker sends a Reason String only on a DISCONNECT for bad input
/// (the rule broken); these tests check that with a small Maximum Packet Size each packet still arrives, within the
/// limit, without them.
/// </summary>
public sealed class Mqtt5PacketSizeTests
{
    private const uint Small = 64;

    private static MqttProperties SmallClient(uint sessionExpiry = 0) => new() { MaximumPacketSize = Small, SessionExpiryInterval = sessionExpiry };

    private static void AssertLean(ReceivedPacket packet, in MqttProperties properties)
    {
        Assert.True(packet.Size <= Small, $"{packet} is {packet.Size} bytes, above the client's {Small}");
        Assert.Null(properties.ReasonString);
        Assert.Equal(0, properties.UserProperties.Count);
    }

    [Fact]
    public async Task MQTT5_3_2_2_19_connack_without_reason_string_and_3_2_2_20_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("c", properties: SmallClient());
        ReceivedPacket connAck = await client.ExpectAsync(PacketType.ConnAck);
        AssertLean(connAck, connAck.ConnAck.Properties);
    }

    [Fact]
    public async Task MQTT5_3_2_2_19_refusing_connack_without_reason_string_and_3_2_2_20_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync(o => o.AllowAnonymous = false);
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("c", properties: SmallClient());
        ReceivedPacket connAck = await client.ExpectAsync(PacketType.ConnAck);
        Assert.Equal(ReasonCode.NotAuthorized, connAck.ConnAck.ReasonCode);
        AssertLean(connAck, connAck.ConnAck.Properties);
    }

    [Fact]
    public async Task MQTT5_3_4_2_2_puback_without_reason_string_and_3_4_2_3_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("deny/x"), Payload = Wire.Text("p"), QoS = QoS1, PacketId = 1 });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.PubAck);
        Assert.Equal(ReasonCode.NotAuthorized, ack.PubAck.ReasonCode);
        AssertLean(ack, ack.PubAck.Properties);
    }

    [Fact]
    public async Task MQTT5_3_5_2_2_pubrec_without_reason_string_and_3_5_2_3_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), QoS = QoS2, PacketId = 1 });
        ReceivedPacket rec = await client.ExpectAsync(PacketType.PubRec);
        // [MQTT-3.5.2-1] a PUBREC Reason Code: 0x10, nobody subscribed.
        Assert.Equal(ReasonCode.NoMatchingSubscribers, rec.PubRec.ReasonCode);
        AssertLean(rec, rec.PubRec.Properties);
    }

    [Fact]
    public async Task MQTT5_3_6_2_2_pubrel_without_reason_string_and_3_6_2_3_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        await client.SendAckAsync(PacketType.PubRec, 42);
        ReceivedPacket rel = await client.ExpectAsync(PacketType.PubRel);
        Assert.Equal(ReasonCode.PacketIdentifierNotFound, rel.PubRel.ReasonCode);
        AssertLean(rel, rel.PubRel.Properties);
    }

    [Fact]
    public async Task MQTT5_3_7_2_2_pubcomp_without_reason_string_and_3_7_2_3_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        await client.SendAckAsync(PacketType.PubRel, 42);
        ReceivedPacket comp = await client.ExpectAsync(PacketType.PubComp);
        Assert.Equal(ReasonCode.PacketIdentifierNotFound, comp.PubComp.ReasonCode);
        AssertLean(comp, comp.PubComp.Properties);
    }

    [Fact]
    public async Task MQTT5_3_9_2_1_suback_without_reason_string_and_3_9_2_2_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("deny/x"), QoS1)) });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.SubAck);
        Assert.Equal(new byte[] { 0x87 }, ack.SubAck.ReasonCodes.ToArray());
        AssertLean(ack, ack.SubAck.Properties);
    }

    [Fact]
    public async Task MQTT5_3_11_2_1_unsuback_without_reason_string_and_3_11_2_2_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        await client.SendAsync(new UnsubscribePacket { PacketId = 1, TopicFilters = TopicFilterList.Create("never") });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.UnsubAck);
        AssertLean(ack, ack.UnsubAck.Properties);
    }

    [Fact]
    public async Task MQTT5_3_14_2_3_disconnect_without_reason_string_and_3_14_2_4_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        // PINGREQ with Remaining Length 0 written in two bytes: its Reason String (the rule, 68 bytes) does not fit.
        await client.SendAsync(new byte[] { 0xC0, 0x80, 0x00 });
        ReceivedPacket disconnect = await client.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(ReasonCode.MalformedPacket, disconnect.Disconnect.ReasonCode);
        AssertLean(disconnect, disconnect.Disconnect.Properties);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_14_2_3_disconnect_for_bad_input_names_the_rule_when_it_fits()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new byte[] { 0x30, 0x04, 0x00, 0x01, (byte)'#', 0x00 }); // a wildcard in a Topic Name
        DisconnectPacket disconnect = await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
        Assert.Equal("[MQTT-3.3.2-2] Topic Name holds a wildcard", MqttUtf8.GetString(disconnect.Properties.ReasonString!.Value));
    }

    [Fact]
    public async Task MQTT5_3_15_2_2_auth_without_reason_string_and_3_15_2_3_user_properties_fits()
    {
        await using var broker = await TestBroker.StartAsync(o => o.EnhancedAuthenticators[ChallengeAuthenticator.Name] = new ChallengeAuthenticator());
        await using RawClient client = await broker.OpenAsync();
        var properties = SmallClient();
        properties.AuthenticationMethod = Wire.Text(ChallengeAuthenticator.Name);
        properties.AuthenticationData = Wire.Text("hello");
        await client.SendConnectAsync("c", properties: properties);
        ReceivedPacket auth = await client.ExpectAsync(PacketType.Auth);
        Assert.Equal(ReasonCode.ContinueAuthentication, auth.Auth.ReasonCode);
        AssertLean(auth, auth.Auth.Properties);
    }

    /// <summary>
    /// A CONNACK with an Assigned Client Identifier (39 bytes) and the server's limits is over a Maximum Packet Size of
    /// 24: it was sent all the same. Now the client is refused with 0x95 in a CONNACK that fits, and no session is made.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_1_2_24_a_connack_the_client_cannot_take_is_a_refusal_0x95()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("", properties: new MqttProperties { MaximumPacketSize = 24 });
        ReceivedPacket connAck = await client.ExpectAsync(PacketType.ConnAck);
        Assert.Equal(ReasonCode.PacketTooLarge, connAck.ConnAck.ReasonCode);
        Assert.True(connAck.Size <= 24, $"the CONNACK is {connAck.Size} bytes");
        await client.ExpectClosedAsync();
        Assert.Equal(0, broker.Broker.SessionCount);
    }

    /// <summary>One reason code per filter: a SUBACK for 100 filters cannot fit 64 bytes, so the client is disconnected with 0x95.</summary>
    [Fact]
    public async Task MQTT5_3_1_2_24_a_suback_the_client_cannot_take_ends_the_connection_with_0x95()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        Subscription[] filters = Enumerable.Range(0, 100).Select(i => new Subscription(Wire.Text($"f/{i}"), QoS0)).ToArray();
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(filters) });
        ReceivedPacket disconnect = await client.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(ReasonCode.PacketTooLarge, disconnect.Disconnect.ReasonCode);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_24_an_unsuback_the_client_cannot_take_ends_the_connection_with_0x95()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: SmallClient());
        string[] filters = Enumerable.Range(0, 100).Select(i => $"f/{i}").ToArray();
        await client.SendAsync(new UnsubscribePacket { PacketId = 1, TopicFilters = TopicFilterList.Create(filters) });
        ReceivedPacket disconnect = await client.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(ReasonCode.PacketTooLarge, disconnect.Disconnect.ReasonCode);
        await client.ExpectClosedAsync();
    }
}
