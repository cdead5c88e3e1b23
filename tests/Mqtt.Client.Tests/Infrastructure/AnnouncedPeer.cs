using Mqtt.Client.EndToEnd;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Client.Tests;

/// <summary>The other side of an end-to-end test: a connected client with fresh keys, trust in memory, its key announced.</summary>
internal sealed class AnnouncedPeer : IAsyncDisposable
{
    private readonly MqttClient client;
    private readonly E2eIdentity keys;

    private AnnouncedPeer(MqttClient client, E2eIdentity keys)
    {
        this.client = client;
        this.keys = keys;
        Channel = new EndToEndChannel(client, keys, TrustStore.InMemory());
    }

    public EndToEndChannel Channel { get; }

    /// <summary>Connects <paramref name="user"/> (as its client id) and announces its key.</summary>
    public static async Task<AnnouncedPeer> StartAsync(int port, string user)
    {
        var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = user });
        await client.ConnectAsync();
        var peer = new AnnouncedPeer(client, E2eIdentity.Generate(user));
        await peer.Channel.PublishAnnouncementAsync(TimeSpan.Zero);
        return peer;
    }

    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        keys.Dispose();
        await client.DisposeAsync();
    }
}
