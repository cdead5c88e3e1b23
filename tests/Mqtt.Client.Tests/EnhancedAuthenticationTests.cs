using System.Text;
using Mqtt.Broker;
using Mqtt.Codec;
using MQTTnet.Server;
using MQTTnet.Server.EnhancedAuthentication;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Enhanced authentication (MQTT 5 section 4.12) through <see cref="IEnhancedAuthenticationHandler"/>.</summary>
public sealed class EnhancedAuthenticationTests
{
    private const string Method = "TEST-CHALLENGE";

    [Fact]
    public async Task Handler_runs_the_AUTH_exchange_with_the_MQTTnet_server_and_checks_its_proof()
    {
        await using MqttNetBroker broker = await MqttNetBroker.StartAsync(server => server.ValidatingConnectionAsync += ChallengeAsync("server-proof"));
        var handler = new ChallengeHandler("server-proof");

        await using MqttClient client = await ConnectAsync(broker.Port, configure: o => o.AuthenticationHandler = handler);

        Assert.Equal(["start:False", "continue:challenge", "complete:server-proof"], handler.Steps);
        Assert.Equal(Method, client.ConnectResult!.AuthenticationMethod);
        await client.SubscribeAsync("after/auth", QualityOfService.AtLeastOnce);
        await client.PublishAsync("after/auth", Bytes("ok"), QualityOfService.AtLeastOnce);
        Assert.Equal("ok", Text((await client.ReceiveAsync(1))[0]));
    }

    [Fact]
    public async Task Server_that_cannot_prove_itself_is_rejected_by_the_handler()
    {
        await using MqttNetBroker broker = await MqttNetBroker.StartAsync(server => server.ValidatingConnectionAsync += ChallengeAsync("forged"));
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.AuthenticationHandler = new ChallengeHandler("server-proof");

        await Assert.ThrowsAsync<MqttAuthenticationException>(() => client.ConnectAsync());
        Assert.False(client.IsConnected);
    }

    /// <summary>MQTT 3.1.1 has no AUTH exchange: a handler is refused, not ignored (the server would go unchecked).</summary>
    [Fact]
    public async Task A_handler_with_MQTT_3_1_1_is_refused_before_connecting()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        client.Options.ProtocolVersion = ProtocolVersion.V311;
        client.Options.AuthenticationHandler = new ChallengeHandler("server-proof");

        await Assert.ThrowsAsync<ArgumentException>(() => client.ConnectAsync());
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Server_refusing_the_client_answer_gives_MqttConnectException()
    {
        await using MqttNetBroker broker = await MqttNetBroker.StartAsync(server => server.ValidatingConnectionAsync += async args =>
        {
            await args.ExchangeEnhancedAuthenticationAsync(new ExchangeEnhancedAuthenticationOptions { AuthenticationData = "challenge"u8.ToArray() }, args.CancellationToken);
            args.ReasonCode = MQTTnet.Protocol.MqttConnectReasonCode.NotAuthorized;
        });
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.AuthenticationHandler = new ChallengeHandler("server-proof");

        MqttConnectException e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
        Assert.Equal(ReasonCode.NotAuthorized, e.Result.ReasonCode);
    }

    [Fact]
    public async Task ReauthenticateAsync_runs_AUTH_0x19_then_the_same_steps()
    {
        await using var server = new FakeServer();
        var handler = new ChallengeHandler("proof");
        await using var client = new MqttClient(Options(server.Port));
        client.Options.AuthenticationHandler = handler;
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();

        OwnedPacket connect = await connection.ExpectAsync(PacketType.Connect);
        Assert.True(ConnectPacket.TryRead(connect.Frame, out ConnectPacket c, out _));
        Assert.Equal(Method, MqttUtf8.GetString(c.Properties.AuthenticationMethod!.Value));
        await connection.SendAsync(w => Auth(ReasonCode.ContinueAuthentication, "challenge").Write(w));
        await ExpectAuthAsync(connection, ReasonCode.ContinueAuthentication, "response:challenge");
        await connection.SendAsync(w => new ConnAckPacket { Properties = AuthProperties("proof") }.Write(w, ProtocolVersion.V500));
        await connecting.WaitAsync(Patience);

        Task reauthenticating = client.ReauthenticateAsync();
        await ExpectAuthAsync(connection, ReasonCode.ReAuthenticate, "client-first");
        await connection.SendAsync(w => Auth(ReasonCode.ContinueAuthentication, "again").Write(w));
        await ExpectAuthAsync(connection, ReasonCode.ContinueAuthentication, "response:again");
        await connection.SendAsync(w => Auth(ReasonCode.Success, "proof").Write(w));
        await reauthenticating.WaitAsync(Patience);

        Assert.Equal(["start:False", "continue:challenge", "complete:proof", "start:True", "continue:again", "complete:proof"], handler.Steps);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task ReauthenticateAsync_that_the_server_never_answers_times_out_and_the_connection_goes_on()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        client.Options.AuthenticationHandler = new ChallengeHandler("proof");
        client.Options.ConnectTimeout = TimeSpan.FromSeconds(1);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(w => new ConnAckPacket { Properties = AuthProperties("proof") }.Write(w, ProtocolVersion.V500));
        await connecting.WaitAsync(Patience);

        Task reauthenticating = client.ReauthenticateAsync();
        await ExpectAuthAsync(connection, ReasonCode.ReAuthenticate, "client-first");

        await Assert.ThrowsAsync<MqttTimeoutException>(() => reauthenticating.WaitAsync(Patience));
        Assert.True(client.IsConnected);
        Task again = client.ReauthenticateAsync();
        await ExpectAuthAsync(connection, ReasonCode.ReAuthenticate, "client-first");
        await connection.SendAsync(w => Auth(ReasonCode.Success, "proof").Write(w));
        await again.WaitAsync(Patience);
    }

    [Fact]
    public async Task Handler_runs_the_AUTH_exchange_with_our_broker_and_checks_its_proof()
    {
        var authenticator = new ChallengeAuthenticator("server-proof");
        await using OurBroker broker = await StartOurBrokerAsync(authenticator);
        var handler = new ChallengeHandler("server-proof");

        await using MqttClient client = await ConnectAsync(broker.Port, configure: o => o.AuthenticationHandler = handler);

        Assert.Equal(["start:False", "continue:challenge", "complete:server-proof"], handler.Steps);
        Assert.Equal(["client-first", "response:challenge"], authenticator.Received);
        Assert.Equal(Method, client.ConnectResult!.AuthenticationMethod);
        await client.SubscribeAsync("after/auth", QualityOfService.AtLeastOnce);
        await client.PublishAsync("after/auth", Bytes("ok"), QualityOfService.AtLeastOnce);
        Assert.Equal("ok", Text((await client.ReceiveAsync(1))[0]));
    }

    [Fact]
    public async Task Our_broker_that_cannot_prove_itself_is_rejected_by_the_handler()
    {
        await using OurBroker broker = await StartOurBrokerAsync(new ChallengeAuthenticator("forged"));
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.AuthenticationHandler = new ChallengeHandler("server-proof");

        MqttAuthenticationException e = await Assert.ThrowsAsync<MqttAuthenticationException>(() => client.ConnectAsync());
        Assert.Contains("did not prove itself", e.Message);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Our_broker_refusing_the_client_answer_gives_MqttConnectException()
    {
        var authenticator = new ChallengeAuthenticator("server-proof") { Refuse = true };
        await using OurBroker broker = await StartOurBrokerAsync(authenticator);
        var handler = new ChallengeHandler("server-proof");
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.AuthenticationHandler = handler;

        MqttConnectException e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
        Assert.Equal(ReasonCode.NotAuthorized, e.Result.ReasonCode);
        Assert.Equal(["start:False", "continue:challenge"], handler.Steps); // never asked to check a proof
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Our_broker_refuses_an_unknown_method_with_0x8C()
    {
        await using OurBroker broker = await StartOurBrokerAsync(new ChallengeAuthenticator("server-proof"));
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.AuthenticationHandler = new OtherMethodHandler();

        MqttConnectException e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
        Assert.Equal(ReasonCode.BadAuthenticationMethod, e.Result.ReasonCode);
    }

    [Fact]
    public async Task ReauthenticateAsync_with_our_broker_runs_AUTH_0x19_and_the_connection_goes_on()
    {
        var authenticator = new ChallengeAuthenticator("server-proof");
        await using OurBroker broker = await StartOurBrokerAsync(authenticator);
        var handler = new ChallengeHandler("server-proof");
        await using var relay = new TcpRelay(broker.Port);
        await using MqttClient client = await ConnectAsync(relay.Port, configure: o => o.AuthenticationHandler = handler);
        await client.SubscribeAsync("reauth", QualityOfService.AtLeastOnce);

        await client.ReauthenticateAsync().WaitAsync(Patience);

        Assert.Equal(["start:False", "continue:challenge", "complete:server-proof", "start:True", "continue:challenge", "complete:server-proof"], handler.Steps);
        Assert.Equal(2, authenticator.Started);
        List<(PacketType Type, byte Flags, byte[] Body)> auths = relay.UpstreamPackets().Where(p => p.Type == PacketType.Auth).ToList();
        Assert.Equal([ReasonCode.ContinueAuthentication, ReasonCode.ReAuthenticate, ReasonCode.ContinueAuthentication], auths.Select(a => (ReasonCode)a.Body[0]));
        Assert.Equal(ReasonCode.Success, relay.DownstreamPackets().Where(p => p.Type == PacketType.Auth).Select(a => (ReasonCode)a.Body[0]).Last());
        Assert.True(client.IsConnected);
        await client.PublishAsync("reauth", Bytes("still here"), QualityOfService.AtLeastOnce);
        Assert.Equal("still here", Text((await client.ReceiveAsync(1))[0]));
    }

    [Fact]
    public async Task Failed_reauthentication_with_our_broker_ends_the_connection_with_0x87()
    {
        var authenticator = new ChallengeAuthenticator("server-proof");
        await using OurBroker broker = await StartOurBrokerAsync(authenticator);
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.AuthenticationHandler = new ChallengeHandler("server-proof");
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);
        await client.ConnectAsync();

        authenticator.Refuse = true;
        MqttConnectionLostException lost = await Assert.ThrowsAsync<MqttConnectionLostException>(() => client.ReauthenticateAsync().WaitAsync(Patience));
        Assert.Equal(ReasonCode.NotAuthorized, lost.ReasonCode);
        MqttDisconnectedEventArgs e = await disconnected.Task.WaitAsync(Patience);
        Assert.Equal(ReasonCode.NotAuthorized, Assert.IsType<MqttConnectionLostException>(e.Exception).ReasonCode);
        Assert.False(e.WillReconnect);
        Assert.False(client.IsConnected);
    }

    private static Task<OurBroker> StartOurBrokerAsync(ChallengeAuthenticator authenticator) =>
        OurBroker.StartAsync(o => o.EnhancedAuthenticators.Add(authenticator.Method, authenticator));

    private static Func<ValidatingConnectionEventArgs, Task> ChallengeAsync(string proof) => async args =>
    {
        if (args.AuthenticationMethod != Method || Encoding.UTF8.GetString(args.AuthenticationData) != "client-first")
        {
            args.ReasonCode = MQTTnet.Protocol.MqttConnectReasonCode.BadAuthenticationMethod;
            return;
        }
        ExchangeEnhancedAuthenticationResult answer = await args.ExchangeEnhancedAuthenticationAsync(
            new ExchangeEnhancedAuthenticationOptions { AuthenticationData = "challenge"u8.ToArray() }, args.CancellationToken);
        if (Encoding.UTF8.GetString(answer.AuthenticationData) != "response:challenge")
        {
            args.ReasonCode = MQTTnet.Protocol.MqttConnectReasonCode.NotAuthorized;
            return;
        }
        args.ResponseAuthenticationData = Encoding.UTF8.GetBytes(proof);
    };

    private static async Task ExpectAuthAsync(FakeConnection connection, ReasonCode code, string data)
    {
        OwnedPacket packet = await connection.ExpectAsync(PacketType.Auth);
        Assert.True(AuthPacket.TryRead(packet.Frame, ProtocolVersion.V500, out AuthPacket auth, out DecodeError error), error.ToString());
        Assert.Equal(code, auth.ReasonCode);
        Assert.Equal(Method, MqttUtf8.GetString(auth.Properties.AuthenticationMethod!.Value));
        Assert.Equal(data, MqttUtf8.GetString(auth.Properties.AuthenticationData!.Value));
    }

    private static AuthPacket Auth(ReasonCode code, string data) => new() { ReasonCode = code, Properties = AuthProperties(data) };

    private static MqttProperties AuthProperties(string data) => new()
    {
        AuthenticationMethod = MqttUtf8.Encode(Method),
        AuthenticationData = MqttUtf8.Encode(data),
    };

    /// <summary>
    /// Our broker's side of the toy challenge-response: expects "client-first", sends "challenge", expects
    /// "response:challenge", and proves itself with <paramref name="proof"/> (or refuses with 0x87 when <see cref="Refuse"/>).
    /// </summary>
    private sealed class ChallengeAuthenticator(string proof) : IEnhancedAuthenticator
    {
        private int _started;

        public string Method => EnhancedAuthenticationTests.Method;

        public string Proof { get; } = proof;

        public bool Refuse { get; set; }

        public int Started => Volatile.Read(ref _started);

        public List<string> Received { get; } = new();

        public IAuthenticationExchange Start(ClientInfo client, string? userName)
        {
            Interlocked.Increment(ref _started);
            return new Exchange(this);
        }

        private sealed class Exchange(ChallengeAuthenticator owner) : IAuthenticationExchange
        {
            private int _step;

            public ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
            {
                string data = Encoding.UTF8.GetString(clientData.Span);
                lock (owner.Received)
                {
                    owner.Received.Add(data);
                }
                return new((_step++, data) switch
                {
                    (0, "client-first") => AuthenticationResult.Continue("challenge"u8.ToArray()),
                    (1, "response:challenge") when !owner.Refuse => AuthenticationResult.Succeed(null, Encoding.UTF8.GetBytes(owner.Proof)),
                    _ => AuthenticationResult.Fail(ReasonCode.NotAuthorized),
                });
            }
        }
    }

    private sealed class OtherMethodHandler : IEnhancedAuthenticationHandler
    {
        public string Method => "NO-SUCH-METHOD";

        public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken) => new((ReadOnlyMemory<byte>?)null);

        public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) => new((ReadOnlyMemory<byte>?)null);

        public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) => new(true);
    }

    /// <summary>A toy challenge-response: answers "response:" + challenge, and expects a fixed proof from the server.</summary>
    private sealed class ChallengeHandler(string expectedProof) : IEnhancedAuthenticationHandler
    {
        public List<string> Steps { get; } = new();

        public string Method => EnhancedAuthenticationTests.Method;

        public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken)
        {
            Steps.Add($"start:{reauthentication}");
            return new(Encoding.UTF8.GetBytes("client-first"));
        }

        public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken)
        {
            string challenge = serverData is { } d ? Encoding.UTF8.GetString(d.Span) : "";
            Steps.Add($"continue:{challenge}");
            return new(Encoding.UTF8.GetBytes("response:" + challenge));
        }

        public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken)
        {
            string proof = serverData is { } d ? Encoding.UTF8.GetString(d.Span) : "";
            Steps.Add($"complete:{proof}");
            return new(proof == expectedProof);
        }
    }
}
