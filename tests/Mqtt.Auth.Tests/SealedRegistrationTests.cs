using System.Net;
using System.Text;
using Mqtt.Broker;
using Mqtt.Client;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Hpke;
using Mqtt.Security.Scram;

namespace Mqtt.Auth.Tests;

/// <summary>
/// The sealed form of <c>MQTTCORE-REGISTER</c>: the verifiers cross the wire only sealed to a key the broker made for
/// that one exchange, so recorded traffic (registration, then logins) never lets anyone log in (docs/security.md).
/// </summary>
public sealed class SealedRegistrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Our_client_registers_with_the_sealed_form_and_the_user_then_logs_in_with_SCRAM()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await using (var client = new MqttClient(ClientScramTests.Options(broker, "kim-reg", new RegistrationHandler("kim", "pw-kim"), user: "kim")))
        {
            MqttConnectResult registered = await client.ConnectAsync().WaitAsync(Wait);
            Assert.Equal(ScramRegistration.Method, registered.AuthenticationMethod);
            await client.DisconnectAsync();
        }

        var login = new ScramAuthenticationHandler(ScramMechanism.Sha256, "kim", "pw-kim");
        await using var kim = new MqttClient(ClientScramTests.Options(broker, "kim-1", login));
        Assert.Equal(ReasonCode.Success, (await kim.ConnectAsync().WaitAsync(Wait)).ReasonCode);
        Assert.True(login.IsServerAuthenticated);
        Assert.Contains(broker.Log.Lines, l => l.Contains("audit register success", StringComparison.Ordinal) && l.Contains("\"kim\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// What a passive eavesdropper of a registration gets. With the single-step form it was StoredKey and ServerKey,
    /// which with one recorded SCRAM login give ClientKey (ClientProof XOR HMAC(StoredKey, AuthMessage)): a login for
    /// ever. The single-step capture is the control that shows the search finds them when they are there.
    /// </summary>
    [Fact]
    public async Task Recorded_registration_traffic_holds_no_salt_StoredKey_or_ServerKey()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        var sealedHandler = new RegistrationHandler("lena", "pw-lena");
        (byte[] sealedWire, Exception? sealedFailure) = await RecordConnectAsync(broker, sealedHandler);
        UserCredentials legacy = UserCredentials.Derive("mona", "pw-mona");
        (byte[] legacyWire, _) = await RecordConnectAsync(broker, new SingleStepRegistration(legacy));

        Assert.NotEmpty(VerifierFragmentsIn(legacyWire, legacy));
        Assert.Empty(VerifierFragmentsIn(sealedWire, sealedHandler.Credentials));
        Assert.Null(sealedFailure);
        Assert.True(broker.Security.Credentials.TryGet("lena", out _));
        Assert.True(broker.Security.Credentials.TryGet("mona", out _), "the deprecated single-step form is still accepted");
    }

    [Theory]
    [InlineData(1)] // in enc
    [InlineData(DhkemP256.EncapsulatedKeySize + 3)] // in the ciphertext
    [InlineData(-1)] // in the tag
    public async Task A_tampered_sealed_registration_is_refused_with_0x86_and_creates_no_user(int position)
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await using RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        byte[] brokerKey = await RequestBrokerKeyAsync(client);
        byte[] sealedData = SealedScramRegistration.Seal(UserCredentials.Derive("nina", "pw-nina"), brokerKey);
        sealedData[position >= 0 ? position : sealedData.Length + position] ^= 0x01;

        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, ScramRegistration.Method, sealedData);
        Received answer = await client.ReceiveAsync();

        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        AssertNothingRegistered(broker, "sealed registration does not open");
    }

    /// <summary>A sealed registration belongs in the client's AUTH, after the broker's key; in CONNECT it is malformed.</summary>
    [Fact]
    public async Task A_sealed_registration_sent_in_CONNECT_without_the_brokers_AUTH_is_refused_with_0x86()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await using RawMqttClient first = await RawMqttClient.OpenAsync(broker.EndPoint);
        byte[] sealedData = SealedScramRegistration.Seal(UserCredentials.Derive("olga", "pw-olga"), await RequestBrokerKeyAsync(first));

        Received answer = await RegistrationTests.RegisterAsync(broker, sealedData);

        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    /// <summary>Each exchange has its own key: a registration recorded from one exchange opens in no other.</summary>
    [Fact]
    public async Task Each_registration_gets_a_fresh_broker_key_and_a_replayed_sealed_registration_is_refused()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await using RawMqttClient first = await RawMqttClient.OpenAsync(broker.EndPoint);
        await using RawMqttClient second = await RawMqttClient.OpenAsync(broker.EndPoint);
        byte[] firstKey = await RequestBrokerKeyAsync(first);
        byte[] secondKey = await RequestBrokerKeyAsync(second);
        byte[] recorded = SealedScramRegistration.Seal(UserCredentials.Derive("pia", "pw-pia"), firstKey);

        await second.SendAuthAsync(ReasonCode.ContinueAuthentication, ScramRegistration.Method, recorded);
        Received replayed = await second.ReceiveAsync();

        Assert.NotEqual(firstKey, secondKey);
        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (replayed.Type, replayed.ReasonCode));
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    [Fact]
    public async Task A_sealed_registration_is_refused_with_0x87_before_any_key_when_registration_is_closed()
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o => o.Registration = RegistrationPolicy.Closed);
        Received answer = await RegistrationTests.RegisterAsync(broker, SealedScramRegistration.Request.ToArray());
        Assert.Equal((PacketType.ConnAck, ReasonCode.NotAuthorized), (answer.Type, answer.ReasonCode));
    }

    /// <summary>Past the address's registrations or the user limit, the request is refused before a key pair is made (review).</summary>
    [Theory]
    [InlineData(1, 0, ReasonCode.ConnectionRateExceeded)]
    [InlineData(0, 1, ReasonCode.QuotaExceeded)]
    public async Task A_sealed_registration_past_a_registration_limit_is_refused_before_any_key(
        int registrationsPerAddress, int maximumUsers, ReasonCode expected)
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o =>
            (o.Throttle.RegistrationsPerAddress, o.MaximumRegisteredUsers) = (registrationsPerAddress, maximumUsers));
        Received first = await RegistrationTests.RegisterAsync(broker, ScramRegistration.Encode(UserCredentials.Derive("first", "pw-first", 4096)));
        Assert.Equal(ReasonCode.Success, first.ReasonCode);

        Received answer = await RegistrationTests.RegisterAsync(broker, SealedScramRegistration.Request.ToArray());

        Assert.Equal((PacketType.ConnAck, expected), (answer.Type, answer.ReasonCode));
    }

    /// <summary>A registration cannot re-authenticate a connection (its user exists by then): DISCONNECT 0x87 at once, no key made.</summary>
    [Fact]
    public async Task Reauthentication_with_the_registration_method_is_refused_with_0x87_before_any_exchange()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await using RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        await client.SendConnectAsync("reg-reauth", method: ScramRegistration.Method,
            data: ScramRegistration.Encode(UserCredentials.Derive("olga", "pw-olga", 4096)));
        Assert.Equal((PacketType.ConnAck, ReasonCode.Success), ((await client.ReceiveAsync()) is var connAck ? (connAck.Type, connAck.ReasonCode) : default));

        await client.SendAuthAsync(ReasonCode.ReAuthenticate, ScramRegistration.Method, SealedScramRegistration.Request.ToArray());

        Received end = await client.ReceiveAsync();
        Assert.Equal((PacketType.Disconnect, ReasonCode.NotAuthorized), (end.Type, end.ReasonCode));
        Assert.Contains(broker.Log.Lines, l => l.Contains("cannot re-authenticate", StringComparison.Ordinal));
    }

    /// <summary>
    /// A connection that ends mid-exchange disposes it, and with it the key made for it, rather than leave native key
    /// memory to finalizers under a flood of abandoned exchanges (review): a sealed blob cannot open afterwards.
    /// </summary>
    [Fact]
    public async Task Disposing_an_exchange_destroys_the_key_it_sent()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        IEnhancedAuthenticator registration = broker.Broker.Options.EnhancedAuthenticators[ScramRegistration.Method];
        IAuthenticationExchange exchange = registration.Start(new ClientInfo("c", null, new IPEndPoint(IPAddress.Loopback, 1), false), null);
        AuthenticationResult key = await exchange.StepAsync(SealedScramRegistration.Request, CancellationToken.None);
        Assert.Equal(AuthenticationStatus.Continue, key.Status);
        byte[] sealedRegistration = SealedScramRegistration.Seal(UserCredentials.Derive("pia", "pw-pia", 4096), key.Data.Span);

        ((IDisposable)exchange).Dispose();
        AuthenticationResult after = await exchange.StepAsync(sealedRegistration, CancellationToken.None);

        Assert.Equal(AuthenticationStatus.Failure, after.Status);
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    [Fact]
    public async Task A_sealed_registration_abandoned_after_the_brokers_key_is_refused_with_0x87_at_the_CONNECT_timeout_and_audited()
    {
        await using TestBroker broker = await TestBroker.StartAsync(broker: o => o.ConnectTimeout = TimeSpan.FromSeconds(1));
        await using RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        await RequestBrokerKeyAsync(client);

        Received answer = await client.ReceiveAsync();

        Assert.Equal((PacketType.ConnAck, ReasonCode.NotAuthorized), (answer.Type, answer.ReasonCode));
        AssertNothingRegistered(broker, "not finished within the CONNECT timeout");
    }

    /// <summary>Only exactly one byte 0x02 asks for a key; the rest is read as the single-step form and refused.</summary>
    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x02, 0x00 })]
    [InlineData(new byte[] { 0x03 })]
    public async Task Authentication_Data_that_is_neither_form_is_refused_with_0x86(byte[] data)
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        Received answer = await RegistrationTests.RegisterAsync(broker, data);
        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
    }

    /// <summary>CONNECT with the sealed request; returns the key of the broker's AUTH 0x18.</summary>
    private static async Task<byte[]> RequestBrokerKeyAsync(RawMqttClient client)
    {
        await client.SendConnectAsync("reg-" + Guid.NewGuid().ToString("N")[..8], method: ScramRegistration.Method, data: SealedScramRegistration.Request.ToArray());
        Received challenge = await client.ReceiveAsync();
        Assert.Equal((PacketType.Auth, ReasonCode.ContinueAuthentication, ScramRegistration.Method), (challenge.Type, challenge.ReasonCode, challenge.AuthenticationMethod));
        Assert.Equal(SealedScramRegistration.BrokerKeySize, challenge.AuthenticationData?.Length);
        return challenge.AuthenticationData!;
    }

    /// <summary>Connects through a <see cref="RecordingRelay"/>; returns what crossed it and how the CONNECT ended.</summary>
    private static async Task<(byte[] Wire, Exception? Failure)> RecordConnectAsync(TestBroker broker, IEnhancedAuthenticationHandler handler)
    {
        await using RecordingRelay relay = RecordingRelay.Start(broker.EndPoint);
        Exception? failure;
        await using (var client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = relay.EndPoint.Port,
            ClientId = "rec-" + Guid.NewGuid().ToString("N")[..8],
            AuthenticationHandler = handler,
        }))
        {
            failure = await Record.ExceptionAsync(() => client.ConnectAsync().WaitAsync(Wait));
            if (failure is null)
            {
                await client.DisconnectAsync();
            }
        }

        await relay.CompletionAsync();
        return (relay.Recorded(), failure);
    }

    /// <summary>Which of the verifiers' salts, StoredKeys and ServerKeys occur in the bytes, raw or in base64.</summary>
    private static List<string> VerifierFragmentsIn(byte[] wire, UserCredentials credentials)
    {
        var found = new List<string>();
        foreach (ScramVerifier verifier in credentials.Verifiers)
        {
            foreach ((string name, byte[] secret) in new[] { ("salt", verifier.Salt.ToArray()), ("StoredKey", verifier.StoredKey.ToArray()), ("ServerKey", verifier.ServerKey.ToArray()) })
            {
                if (wire.AsSpan().IndexOf(secret) >= 0 || wire.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(secret))) >= 0)
                {
                    found.Add($"{verifier.Mechanism.Name} {name}");
                }
            }
        }

        return found;
    }

    /// <summary>An older client: the deprecated single-step form, verifiers in clear in CONNECT.</summary>
    private sealed class SingleStepRegistration(UserCredentials credentials) : IEnhancedAuthenticationHandler
    {
        public string Method => ScramRegistration.Method;

        public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(ScramRegistration.Encode(credentials));

        public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("single step");

        public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }

    /// <summary>No user was made, and the audit line says why.</summary>
    private static void AssertNothingRegistered(TestBroker broker, string auditReason)
    {
        Assert.Equal(0, broker.Security.Credentials.Count);
        Assert.Contains(broker.Log.Lines, l => l.Contains("audit register failure", StringComparison.Ordinal)
            && l.Contains(auditReason, StringComparison.Ordinal));
    }
}
