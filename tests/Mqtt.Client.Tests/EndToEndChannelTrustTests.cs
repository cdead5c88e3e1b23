using Mqtt.Client.EndToEnd;
using Mqtt.Codec;
using Mqtt.Security.EndToEnd;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Trust on first use when the sender's key is pinned by a message, not by <see cref="EndToEndChannel.AgreeKeyAsync"/>.</summary>
public sealed class EndToEndChannelTrustTests
{
    /// <summary>
    /// bob listens before alice ever announced a key; her first message pins it. That is a first contact like any other:
    /// the message says so, for the fingerprint to be shown (before, it was pinned without a word). Found by review.
    /// </summary>
    [Fact]
    public async Task A_key_first_pinned_by_an_arriving_message_is_reported_as_a_first_contact()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        await using var bob = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob" });
        await bob.ConnectAsync();
        using E2eIdentity bobKeys = E2eIdentity.Generate("bob");
        await using var bobChannel = new EndToEndChannel(bob, bobKeys, TrustStore.InMemory());
        await bobChannel.PublishAnnouncementAsync(TimeSpan.Zero);
        await bobChannel.ListenAsync("alice");

        await using var alice = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "alice" });
        await alice.ConnectAsync();
        using E2eIdentity aliceKeys = E2eIdentity.Generate("alice");
        await using var aliceChannel = new EndToEndChannel(alice, aliceKeys, TrustStore.InMemory());
        await aliceChannel.PublishAnnouncementAsync(TimeSpan.Zero);
        await aliceChannel.AgreeKeyAsync("bob", Patience);
        await aliceChannel.SendAsync("bob", "first"u8.ToArray());
        await aliceChannel.SendAsync("bob", "second"u8.ToArray());

        var read = new List<EndToEndMessage>();
        using var deadline = new CancellationTokenSource(Patience);
        await foreach (EndToEndMessage message in bobChannel.ReadAsync(deadline.Token))
        {
            read.Add(message);
            if (read.Count == 2)
            {
                break;
            }
        }

        Assert.All(read, m => Assert.Equal(EndToEndMessageKind.Message, m.Kind));
        Assert.Equal(TrustResult.FirstUse, read[0].Trust);
        Assert.Null(read[1].Trust); // pinned by then
    }
}
