using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>The client's DISCONNECT reaches a server that is still sending when the client ends.</summary>
public sealed class LingeringCloseTests
{
    /// <summary>
    /// The server floods the client, which stops reading (its application reads nothing), then the client disconnects
    /// while the server goes on sending. It reads and drops the rest before closing, so the server's writes never meet a
    /// reset and it still reads the DISCONNECT. Before (a probe against Mosquitto), the client closed with the server's
    /// bytes unread; the reset failed the server's next write, and Mosquitto then dropped the connection without reading
    /// the DISCONNECT (it published the Will) or the last PUBRECs (at QoS 2 it sent those messages again).
    /// </summary>
    [Fact]
    public async Task A_client_ending_while_the_server_still_sends_has_its_DISCONNECT_read()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(new MqttClientOptions { Port = server.Port, ClientId = "leaving" });
        Task connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        await connecting;
        var publish = new PublishPacket { Topic = new ReadOnlySequence<byte>("flood"u8.ToArray()), Payload = new ReadOnlySequence<byte>(new byte[100]) };
        for (int i = 0; i < 3000; i++) // more than the client's queue (1,024) and the sockets' buffers take at once
        {
            await connection.TrySendAsync(Wire(publish));
        }

        Task disconnecting = client.DisconnectAsync();
        for (int i = 0; i < 200; i++) // still sending as the client ends, as Mosquitto was: no write may meet a reset
        {
            await connection.SendAsync(Wire(publish));
        }
        await disconnecting;

        OwnedPacket? last = await connection.ReadAsync();
        Assert.True(last is { Type: PacketType.Disconnect }, $"expected the client's DISCONNECT, got {last?.Type.ToString() ?? "the end"}");
    }

    private static byte[] Wire(PublishPacket packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        packet.Write(writer, ProtocolVersion.V500);
        return writer.WrittenSpan.ToArray();
    }
}
