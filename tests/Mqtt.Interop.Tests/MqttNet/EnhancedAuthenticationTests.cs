using System.Text;
using MQTTnet;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>
/// The MQTT 5 AUTH exchange (4.12) between MQTTnet's IMqttEnhancedAuthenticationHandler and an
/// IEnhancedAuthenticator registered in BrokerOptions.EnhancedAuthenticators: CONNECT, AUTH 0x18 both ways, CONNACK.
/// </summary>
public sealed class EnhancedAuthenticationTests
{
    private static readonly byte[] AliceKey = Encoding.UTF8.GetBytes("alice's shared secret");

    private static Task<EmbeddedBroker> StartBrokerAsync(ChallengeAuthenticator authenticator) => EmbeddedBroker.StartAsync(o =>
    {
        o.AllowAnonymous = false;
        o.EnhancedAuthenticators.Add(authenticator.Method, authenticator);
    });

    private static Action<MqttClientOptionsBuilder> Challenge(string user, ChallengeResponder responder) => o => o
        .WithCredentials(user, (byte[]?)null)
        .WithEnhancedAuthentication(ChallengeAuthenticator.Name, [])
        .WithEnhancedAuthenticationHandler(responder);

    [Fact]
    public async Task The_right_answer_to_the_challenge_gets_CONNACK_Success_with_the_servers_proof()
    {
        var authenticator = new ChallengeAuthenticator(new Dictionary<string, byte[]> { ["alice"] = AliceKey });
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);
        var responder = new ChallengeResponder(AliceKey);

        await using MqttNetPeer alice = await MqttNetPeer.ConnectAsync(broker.Port, "alice-1", Challenge("alice", responder));

        Assert.Equal(1, authenticator.Started);
        Assert.Equal(1, responder.Rounds);
        Assert.Equal(16, responder.Nonce!.Length);
        // 4.12: CONNACK carries the method and the final data: the client checks the server knew the key.
        Assert.Equal(ChallengeAuthenticator.Name, alice.ConnectResult.AuthenticationMethod);
        Assert.Equal(ChallengeAuthenticator.ServerProof(AliceKey, responder.Nonce), alice.ConnectResult.AuthenticationData);
        await alice.SubscribeAsync("auth/t");
        await alice.PublishAsync("auth/t", "authenticated");
        Assert.Equal("authenticated", (await alice.NextAsync()).Text);
    }

    [Fact]
    public async Task A_wrong_answer_gets_CONNACK_0x87_Not_authorized()
    {
        var authenticator = new ChallengeAuthenticator(new Dictionary<string, byte[]> { ["alice"] = AliceKey });
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);
        var responder = new ChallengeResponder(Encoding.UTF8.GetBytes("not alice's secret"));

        await using MqttNetPeer mallory = await MqttNetPeer.TryConnectAsync(broker.Port, "mallory", Challenge("alice", responder));

        Assert.Equal(1, responder.Rounds);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, mallory.ConnectResult.ResultCode);
        Assert.False(mallory.Client.IsConnected);
        await broker.UntilConnectionsAsync(0);
    }

    [Fact]
    public async Task An_unknown_user_gets_CONNACK_0x86_without_a_challenge()
    {
        var authenticator = new ChallengeAuthenticator(new Dictionary<string, byte[]> { ["alice"] = AliceKey });
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);
        var responder = new ChallengeResponder(AliceKey);

        await using MqttNetPeer stranger = await MqttNetPeer.TryConnectAsync(broker.Port, "stranger", Challenge("bob", responder));

        Assert.Equal(0, responder.Rounds);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, stranger.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task An_unregistered_method_gets_CONNACK_0x8C_Bad_authentication_method()
    {
        var authenticator = new ChallengeAuthenticator(new Dictionary<string, byte[]> { ["alice"] = AliceKey });
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);

        await using MqttNetPeer client = await MqttNetPeer.TryConnectAsync(broker.Port, "other-method", o => o
            .WithEnhancedAuthentication("SCRAM-SHA-1", [1, 2, 3]).WithEnhancedAuthenticationHandler(new ChallengeResponder(AliceKey)));

        Assert.Equal(MqttClientConnectResultCode.BadAuthenticationMethod, client.ConnectResult.ResultCode);
        Assert.Equal(0, authenticator.Started);
    }

    [Fact]
    public async Task Without_anonymous_access_a_client_without_credentials_gets_CONNACK_0x87()
    {
        var authenticator = new ChallengeAuthenticator(new Dictionary<string, byte[]>());
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);

        await using MqttNetPeer anonymous = await MqttNetPeer.TryConnectAsync(broker.Port, "anonymous");

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, anonymous.ConnectResult.ResultCode);
    }
}
