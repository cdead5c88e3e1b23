using System.Buffers;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Re-sending a resumed session's messages against a scripted server.</summary>
public sealed class ResumedSessionTests : IDisposable
{
    private readonly UnobservedClientExceptions _unobserved = new();

    public void Dispose() => _unobserved.Dispose();

    [Fact]
    public async Task Resent_PUBLISHes_beyond_the_new_Receive_Maximum_go_out_in_order_as_acknowledgements_free_slots()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        options.SessionExpiryInterval = 600;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        var publishing = new List<Task<MqttPublishResult>>();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            for (int i = 0; i < 5; i++)
            {
                publishing.Add(client.PublishAsync("t", new[] { (byte)i }, QualityOfService.AtLeastOnce).AsTask());
                await first.ExpectAsync(PacketType.Publish);
            }
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 2 }, sessionPresent: true);
        Task<MqttPublishResult> later = client.PublishAsync("t", new byte[] { 5 }, QualityOfService.AtLeastOnce).AsTask();
        var inFlight = new Queue<ushort>();
        for (int expected = 0; expected < 6; expected++)
        {
            Task<OwnedPacket> reading = second.ExpectAsync(PacketType.Publish);
            if (inFlight.Count == 2)
            {
                await Task.Delay(200);
                Assert.False(reading.IsCompleted, "a PUBLISH beyond the Receive Maximum of 2");
                ushort acknowledged = inFlight.Dequeue();
                await second.SendAsync(w => new PubAckPacket { PacketId = acknowledged }.Write(w, ProtocolVersion.V500));
            }
            OwnedPacket packet = await reading;
            Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
            Assert.Equal(expected, publish.Payload.FirstSpan[0]);
            Assert.Equal(expected < 5, publish.Duplicate);
            inFlight.Enqueue(publish.PacketId);
        }
        while (inFlight.TryDequeue(out ushort acknowledged))
        {
            await second.SendAsync(w => new PubAckPacket { PacketId = acknowledged }.Write(w, ProtocolVersion.V500));
        }
        await Task.WhenAll(publishing.Append(later)).WaitAsync(Patience);
    }
}
