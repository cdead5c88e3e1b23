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

    [Fact]
    public async Task Re_authentication_on_a_live_connection_runs_the_challenge_again()
    {
        var authenticator = new ChallengeAuthenticator(new Dictionary<string, byte[]> { ["alice"] = AliceKey });
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);
        var responder = new ChallengeResponder(AliceKey);
        await using MqttNetPeer alice = await MqttNetPeer.ConnectAsync(broker.Port, "alice-1", Challenge("alice", responder));
        byte[] firstNonce = responder.Nonce!;

        // 4.12.1: AUTH 0x19 from the client, AUTH 0x18 challenge and answer, AUTH 0x00 with the server's proof.
        await alice.Client.SendEnhancedAuthenticationExchangeDataAsync(
            new MqttEnhancedAuthenticationExchangeData { ReasonCode = MQTTnet.Protocol.MqttAuthenticateReasonCode.ReAuthenticate, AuthenticationData = [] });
        byte[] proof = await responder.Reauthenticated.WaitAsync(Waits.Expected);

        Assert.Equal(2, authenticator.Started);
        Assert.Equal(2, responder.Rounds);
        Assert.NotEqual(firstNonce, responder.Nonce);
        Assert.Equal(ChallengeAuthenticator.ServerProof(AliceKey, responder.Nonce!), proof);
        await alice.SubscribeAsync("auth/t");
        await alice.PublishAsync("auth/t", "still connected");
        Assert.Equal("still connected", (await alice.NextAsync()).Text);
    }

    [Fact]
    public async Task A_failed_re_authentication_disconnects_with_0x87()
    {
        var keys = new Dictionary<string, byte[]> { ["alice"] = AliceKey };
        var authenticator = new ChallengeAuthenticator(keys);
        await using EmbeddedBroker broker = await StartBrokerAsync(authenticator);
        await using MqttNetPeer alice = await MqttNetPeer.ConnectAsync(broker.Port, "alice-1", Challenge("alice", new ChallengeResponder(AliceKey)));
        keys["alice"] = Encoding.UTF8.GetBytes("rotated: the client's key is stale now");

        await alice.Client.SendEnhancedAuthenticationExchangeDataAsync(
            new MqttEnhancedAuthenticationExchangeData { ReasonCode = MQTTnet.Protocol.MqttAuthenticateReasonCode.ReAuthenticate, AuthenticationData = [] });

        // [MQTT-4.12.1-2] a failed re-authentication ends the connection: DISCONNECT 0x87 Not authorized.
        MqttClientDisconnectedEventArgs gone = await alice.Disconnected.WaitAsync(Waits.Expected);
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, gone.Reason);
    }
}
