using Mqtt.Client.EndToEnd;
using Mqtt.Security.EndToEnd;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Several receivers of one user (a `chat` beside a `recv`) on one key store accept a message once between them.</summary>
public sealed class EndToEndChannelReplayTests
{
    /// <summary>
    /// A probe: bob's chat, started before his recv accepted a message, showed the broker's replay of it again, as it
    /// read replay.bin only when it started. Here both of bob's channels get the same envelope: one shows it, the other
    /// reports it as a duplicate (before the fix both showed it).
    /// </summary>
    [Fact]
    public async Task Two_channels_of_one_user_show_a_message_they_both_receive_once()
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("mqttcore-e2e-");
        try
        {
            await using OurBroker broker = await OurBroker.StartAsync();
            KeyStore bobStore = KeyStore.Open(root.FullName, "bob");
            using E2eIdentity bobKeys = bobStore.LoadOrCreateIdentity();
            await using var chat = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob-chat" });
            await using var recv = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob-recv" });
            await chat.ConnectAsync();
            await recv.ConnectAsync();
            await using var chatChannel = new EndToEndChannel(chat, bobKeys, bobStore.OpenTrustStore(), bobStore);
            await using var recvChannel = new EndToEndChannel(recv, bobKeys, bobStore.OpenTrustStore(), bobStore);
            await chatChannel.PublishAnnouncementAsync(TimeSpan.Zero);
            await chatChannel.ListenAsync("alice");
            await recvChannel.ListenAsync("alice");

            await using var alice = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "alice" });
            await alice.ConnectAsync();
            using E2eIdentity aliceKeys = E2eIdentity.Generate("alice");
            await using var aliceChannel = new EndToEndChannel(alice, aliceKeys, TrustStore.InMemory());
            await aliceChannel.PublishAnnouncementAsync(TimeSpan.Zero);
            await aliceChannel.AgreeKeyAsync("bob", Patience);
            await aliceChannel.SendAsync("bob", "pay carol 10"u8.ToArray());

            EndToEndMessage[] both = await Task.WhenAll(ReadOneAsync(chatChannel), ReadOneAsync(recvChannel));
            Assert.Equal([EndToEndMessageKind.Message, EndToEndMessageKind.Duplicate], both.Select(m => m.Kind).Order());
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<EndToEndMessage> ReadOneAsync(EndToEndChannel channel)
    {
        using var deadline = new CancellationTokenSource(Patience);
        await foreach (EndToEndMessage message in channel.ReadAsync(deadline.Token))
        {
            return message;
        }
        throw new InvalidOperationException("the channel ended");
    }
}
