namespace Mqtt.Broker.Tests;

/// <summary>
/// <see cref="BrokerOptions.MaximumConnectingBytes"/>: packets over 8 KiB from clients not yet accepted are held only
/// within one broker-wide share. Before it, anyone could have the broker buffer a Maximum Packet Size per connection
/// without saying who they were (400 unfinished 1 MiB CONNECTs: 470 MB).
/// </summary>
public sealed class ConnectingBytesTests
{
    private const int WillBytes = 60 * 1024;

    /// <summary>A CONNECT whose Will payload (at most 64 KiB) makes it a little over <see cref="WillBytes"/>.</summary>
    private static byte[] LargeConnect(string clientId, ProtocolVersion version = ProtocolVersion.V500) =>
        Wire.Encode(Wire.Connect(clientId, version, will: new WillMessage { Topic = Wire.Text("w"), Payload = new(new byte[WillBytes]) }));

    /// <summary>Sends all of <paramref name="connect"/> but its last byte, and waits until the broker has reserved it whole.</summary>
    private static async Task<RawClient> StartUnfinishedAsync(TestBroker broker, byte[] connect)
    {
        RawClient client = await broker.OpenAsync();
        long before = broker.Broker.Connecting.Reserved;
        await client.SendAsync(connect.AsMemory(0, connect.Length - 1));
        await Eventually.TrueAsync(() => broker.Broker.Connecting.Reserved == before + connect.Length, "the unfinished CONNECT to be reserved");
        return client;
    }

    [Fact]
    public async Task MQTT5_sec_4_13_a_large_connect_is_accepted_while_the_share_has_room()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.SendAsync(LargeConnect("large"));
        await client.ExpectConnAckAsync(ReasonCode.Success);
        Assert.Equal(0, broker.Broker.Connecting.Reserved);
    }

    [Fact]
    public async Task MQTT5_sec_4_13_a_large_connect_past_the_share_gets_0x89_until_the_share_is_free_again()
    {
        byte[] connect = LargeConnect("first");
        await using var broker = await TestBroker.StartAsync(o => o.MaximumConnectingBytes = connect.Length + WillBytes / 2);
        await using RawClient first = await StartUnfinishedAsync(broker, connect);

        await using (RawClient refused = await broker.OpenAsync())
        {
            await refused.SendAsync(LargeConnect("second"));
            await refused.ExpectConnAckAsync(ReasonCode.ServerBusy);
            await refused.ExpectClosedAsync();
        }
        // A small CONNECT needs no share.
        await using RawClient small = await broker.ConnectAsync("small");

        await first.SendAsync(connect.AsMemory(connect.Length - 1));
        await first.ExpectConnAckAsync(ReasonCode.Success);
        Assert.Equal(0, broker.Broker.Connecting.Reserved);
        await using RawClient third = await broker.OpenAsync();
        await third.SendAsync(LargeConnect("third"));
        await third.ExpectConnAckAsync(ReasonCode.Success);
    }

    [Fact]
    public async Task MQTT5_sec_4_13_a_connection_that_ends_mid_packet_gives_its_share_back()
    {
        byte[] connect = LargeConnect("gone");
        await using var broker = await TestBroker.StartAsync(o => o.MaximumConnectingBytes = connect.Length);
        RawClient gone = await StartUnfinishedAsync(broker, connect);
        gone.Drop();
        await Eventually.TrueAsync(() => broker.Broker.Connecting.Reserved == 0, "the share to be given back");

        await using RawClient next = await broker.OpenAsync();
        await next.SendAsync(LargeConnect("next"));
        await next.ExpectConnAckAsync(ReasonCode.Success);
    }

    [Fact]
    public async Task MQTT311_sec_4_13_a_large_connect_past_the_share_gets_return_code_3()
    {
        byte[] connect = LargeConnect("first", ProtocolVersion.V311);
        await using var broker = await TestBroker.StartAsync(o => o.MaximumConnectingBytes = connect.Length);
        await using RawClient first = await StartUnfinishedAsync(broker, connect);

        await using RawClient refused = await broker.OpenAsync(ProtocolVersion.V311);
        await refused.SendAsync(LargeConnect("second", ProtocolVersion.V311));
        await refused.ExpectConnAckAsync(ReasonCode.ServerUnavailable);
        await refused.ExpectClosedAsync();
    }

    /// <summary>A large first packet that is no CONNECT is closed at once, unanswered [MQTT-3.1.0-1], taking no share (review).</summary>
    [Fact]
    public async Task MQTT5_3_1_0_1_a_large_first_packet_that_is_no_connect_takes_no_share_and_is_closed()
    {
        await using var broker = await TestBroker.StartAsync(o => o.ConnectTimeout = TimeSpan.FromMinutes(1));
        await using RawClient client = await broker.OpenAsync();
        await client.SendAsync(new byte[] { 0x30, 0x80, 0x80, 0x06 }); // PUBLISH of 96 KiB, body never sent
        await client.ExpectClosedAsync();
        Assert.Equal(0, broker.Broker.Connecting.Reserved);
    }

    [Fact]
    public async Task MQTT5_4_13_1_1_a_connect_over_the_maximum_packet_size_still_gets_0x95_not_0x89()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumConnectingBytes = 1);
        await using RawClient client = await broker.OpenAsync();
        await client.SendAsync(new byte[] { 0x10, 0xFF, 0xFF, 0x7F }); // 2 MiB, over the default 1 MiB
        await client.ExpectConnAckAsync(ReasonCode.PacketTooLarge);
        await client.ExpectClosedAsync();
    }
}
