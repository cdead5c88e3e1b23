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

        await using AnnouncedPeer alice = await AnnouncedPeer.StartAsync(broker.Port, "alice");
        await alice.Channel.AgreeKeyAsync("bob", Patience);
        await alice.Channel.SendAsync("bob", "first"u8.ToArray());
        await alice.Channel.SendAsync("bob", "second"u8.ToArray());

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

    /// <summary>
    /// alice's channel keeps running while bob rotates his agreement key three times (as `keys rotate` does; two retired
    /// keys are kept, so his first is erased) and comes back with a new channel, as a new recv run. Her next message is
    /// sealed to his current key. Before, a running sender kept sealing to the key it started with: bob refused the
    /// message (exit 4 in recv) and it was lost. Found by review.
    /// </summary>
    [Fact]
    public async Task A_running_sender_follows_the_key_rotations_of_its_peer_that_it_sees()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        await using var bob = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob" });
        await bob.ConnectAsync();
        using E2eIdentity bobKeys = E2eIdentity.Generate("bob");
        TrustStore bobTrust = TrustStore.InMemory();
        await using AnnouncedPeer alice = await AnnouncedPeer.StartAsync(broker.Port, "alice");
        await using (var before = new EndToEndChannel(bob, bobKeys, bobTrust))
        {
            await before.PublishAnnouncementAsync(TimeSpan.Zero);
            await before.ListenAsync("alice");
            await alice.Channel.AgreeKeyAsync("bob", Patience);
            await alice.Channel.SendAsync("bob", "before"u8.ToArray());
            Assert.Equal("before", await ReadOneAsync(before));
        }

        for (int i = 0; i < E2eIdentity.MaxRetiredAgreementKeys + 1; i++)
        {
            bobKeys.RotateAgreementKey();
        }
        await using var after = new EndToEndChannel(bob, bobKeys, bobTrust);
        await after.PublishAnnouncementAsync(TimeSpan.Zero);
        await after.ListenAsync("alice");
        byte[] latest = bobKeys.Announcement.Encoded.ToArray();
        Assert.True(SpinWait.SpinUntil(() => alice.Channel.AnnouncementOf("bob") is byte[] seen && seen.AsSpan().SequenceEqual(latest), Patience));
        await alice.Channel.SendAsync("bob", "after"u8.ToArray());

        Assert.Equal("after", await ReadOneAsync(after));
    }

    /// <summary>
    /// bob's recv/chat keeps running while `keys rotate` (another process on the same key store) rotates his agreement
    /// key three times and publishes the result. alice seals to his newest key as soon as she sees it. His running
    /// channel takes the rotation up from the key store when his own new announcement arrives, and opens her message.
    /// Before, it refused her message as sealed to a key it did not hold (exit 4 in recv) until restarted. His own
    /// messages still reach her.
    /// </summary>
    [Fact]
    public async Task A_running_channel_takes_up_a_rotation_of_its_own_key_made_by_another_process()
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("mqttcore-e2e-");
        try
        {
            await using OurBroker broker = await OurBroker.StartAsync();
            KeyStore bobStore = KeyStore.Open(root.FullName, "bob");
            using E2eIdentity bobKeys = bobStore.LoadOrCreateIdentity();
            await using var bob = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob" });
            await bob.ConnectAsync();
            await using var bobChannel = new EndToEndChannel(bob, bobKeys, bobStore.OpenTrustStore(), bobStore);
            await bobChannel.PublishAnnouncementAsync(TimeSpan.Zero);
            await bobChannel.ListenAsync("alice");

            await using AnnouncedPeer alice = await AnnouncedPeer.StartAsync(broker.Port, "alice");
            await alice.Channel.ListenAsync("bob");
            await alice.Channel.AgreeKeyAsync("bob", Patience);
            await bobChannel.AgreeKeyAsync("alice", Patience);
            await alice.Channel.SendAsync("bob", "before"u8.ToArray());
            Assert.Equal("before", await ReadOneAsync(bobChannel));
            await bobChannel.SendAsync("alice", "before"u8.ToArray());
            Assert.Equal("before", await ReadOneAsync(alice.Channel));

            byte[] latest;
            using (E2eIdentity rotating = bobStore.LoadIdentity())
            {
                for (int i = 0; i < E2eIdentity.MaxRetiredAgreementKeys + 1; i++)
                {
                    rotating.RotateAgreementKey();
                }
                await using var keys = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob-keys" });
                await keys.ConnectAsync();
                await using var keysChannel = new EndToEndChannel(keys, rotating, bobStore.OpenTrustStore());
                await keysChannel.PublishAnnouncementAsync(TimeSpan.Zero);
                latest = rotating.Announcement.Encoded.ToArray();
            }
            Assert.True(SpinWait.SpinUntil(() => bobKeys.Announcement.Encoded.SequenceEqual(latest), Patience), "bob's channel kept its old keys");
            Assert.True(SpinWait.SpinUntil(() => alice.Channel.AnnouncementOf("bob") is byte[] seen && seen.AsSpan().SequenceEqual(latest), Patience));

            await alice.Channel.SendAsync("bob", "after"u8.ToArray());
            Assert.Equal("after", await ReadOneAsync(bobChannel));
            await bobChannel.SendAsync("alice", "after"u8.ToArray());
            Assert.Equal("after", await ReadOneAsync(alice.Channel));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<string> ReadOneAsync(EndToEndChannel channel)
    {
        using var deadline = new CancellationTokenSource(Patience);
        await foreach (EndToEndMessage message in channel.ReadAsync(deadline.Token))
        {
            Assert.True(message.Kind == EndToEndMessageKind.Message, $"{message.Kind}: {message.Description}");
            return System.Text.Encoding.UTF8.GetString(message.Plaintext.Span);
        }
        throw new InvalidOperationException("the channel ended");
    }
}
