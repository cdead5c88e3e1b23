using System.Text;
using Mqtt.Broker;
using Mqtt.Client;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Auth.Tests;

/// <summary>Our client (Mqtt.Client's SCRAM and registration handlers) against our broker.</summary>
public sealed class ClientScramTests
{
    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    public async Task Our_client_logs_in_with_SCRAM_and_verifies_the_broker(string mechanism)
    {
        await using TestBroker broker = await TestBroker.StartAsync(s => s.PlainPasswords = PlainPasswordPolicy.Never);
        await broker.AddUserAsync("alice", "correct horse");
        var handler = ScramAuthenticationHandler.Create(mechanism, "alice", "correct horse");

        await using var client = new MqttClient(Options(broker, "alice-c", handler, user: "alice"));
        MqttConnectResult result = await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ReasonCode.Success, result.ReasonCode);
        Assert.Equal(mechanism, result.AuthenticationMethod);
        Assert.True(handler.IsServerAuthenticated);
        Assert.Null(handler.LastError);
        Assert.Equal(ReasonCode.GrantedQoS1, (await client.SubscribeAsync("alice/data", QualityOfService.AtLeastOnce)).ReasonCodes[0]);
        await client.DisconnectAsync();
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_0x86()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "correct horse");

        await using var client = new MqttClient(Options(broker, "alice-w", new ScramAuthenticationHandler(ScramMechanism.Sha256, "alice", "battery staple")));
        MqttConnectException refused = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ReasonCode.BadUserNameOrPassword, refused.Result.ReasonCode);
    }

    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    public async Task A_broker_that_sends_a_wrong_server_signature_is_refused_by_the_client(string mechanism)
    {
        var tamper = new TamperSwitch { Enabled = true };
        await using TestBroker broker = await TestBroker.StartAsync(afterSecurity: o => TamperingAuthenticator.Wrap(o, mechanism, tamper));
        await broker.AddUserAsync("alice", "correct horse");
        var handler = ScramAuthenticationHandler.Create(mechanism, "alice", "correct horse");

        await using var client = new MqttClient(Options(broker, "alice-t", handler));
        MqttAuthenticationException failure = await Assert.ThrowsAsync<MqttAuthenticationException>(() => client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ReasonCode.NotAuthorized, failure.ReasonCode);
        Assert.Equal(ScramError.ServerSignatureMismatch, handler.LastError?.Error);
        Assert.False(handler.IsServerAuthenticated);
        Assert.Equal(1, tamper.Count);
    }

    [Fact]
    public async Task Reauthentication_runs_SCRAM_again_and_fails_when_the_password_changed_or_the_broker_cannot_prove_itself()
    {
        var tamper = new TamperSwitch();
        await using TestBroker broker = await TestBroker.StartAsync(afterSecurity: o => TamperingAuthenticator.Wrap(o, "SCRAM-SHA-256", tamper));
        await broker.AddUserAsync("alice", "pw-alice");
        var handler = new ScramAuthenticationHandler(ScramMechanism.Sha256, "alice", "pw-alice");
        await using var client = new MqttClient(Options(broker, "alice-r", handler));
        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // A good re-authentication: AUTH 0x19, 0x18, 0x18, then AUTH 0x00 whose v= the client verifies.
        await client.ReauthenticateAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(handler.IsServerAuthenticated);
        Assert.True((await client.PublishAsync("alice/x", "still here"u8.ToArray(), QualityOfService.AtLeastOnce)).IsSuccess);

        // The broker forges the final signature: the client refuses it.
        tamper.Enabled = true;
        await Assert.ThrowsAsync<MqttAuthenticationException>(() => client.ReauthenticateAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ScramError.ServerSignatureMismatch, handler.LastError?.Error);

        // A fresh connection, then the password changes on the broker: the next re-authentication is refused (0x87).
        tamper.Enabled = false;
        await using var again = new MqttClient(Options(broker, "alice-r2", handler));
        await again.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await broker.Security.Credentials.TryReplaceAsync(UserCredentials.Derive("alice", "new password")));
        MqttConnectionLostException lost = await Assert.ThrowsAsync<MqttConnectionLostException>(() => again.ReauthenticateAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ReasonCode.NotAuthorized, lost.ReasonCode);
    }

    [Fact]
    public async Task RegistrationHandler_sends_verifiers_only_and_the_user_then_logs_in_with_SCRAM()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        var registration = new RegistrationHandler("erin", "pw-erin-123");
        string sent = Encoding.Latin1.GetString((await registration.StartAsync(false, default)).GetValueOrDefault().ToArray());
        Assert.DoesNotContain("pw-erin-123", sent, StringComparison.Ordinal);
        Assert.All(registration.Credentials.Verifiers, v => Assert.True(v.IterationCount >= 4096 && v.Salt.Length >= 16));

        await using (var client = new MqttClient(Options(broker, "erin-reg", registration, user: "erin")))
        {
            MqttConnectResult registered = await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(ScramRegistration.Method, registered.AuthenticationMethod);
            await client.DisconnectAsync();
        }

        var login = new ScramAuthenticationHandler(ScramMechanism.Sha512, "erin", "pw-erin-123");
        await using var erin = new MqttClient(Options(broker, "erin-1", login));
        await erin.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(login.IsServerAuthenticated);
        Assert.DoesNotContain("pw-erin-123", await File.ReadAllTextAsync(broker.Security.Credentials.FilePath), StringComparison.Ordinal);

        await using var again = new MqttClient(Options(broker, "erin-reg2", new RegistrationHandler("erin", "other")));
        MqttConnectException taken = await Assert.ThrowsAsync<MqttConnectException>(() => again.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ReasonCode.BadUserNameOrPassword, taken.Result.ReasonCode);
    }

    internal static MqttClientOptions Options(TestBroker broker, string clientId, IEnhancedAuthenticationHandler handler, string? user = null) => new()
    {
        Host = "127.0.0.1",
        Port = broker.EndPoint.Port,
        ClientId = clientId,
        UserName = user,
        AuthenticationHandler = handler,
        ConnectTimeout = TimeSpan.FromSeconds(20),
    };
}

/// <summary>Turns tampering on and off and counts the forged messages.</summary>
internal sealed class TamperSwitch
{
    private int _count;

    public volatile bool Enabled;

    public int Count => Volatile.Read(ref _count);

    public void Tampered() => Interlocked.Increment(ref _count);
}

/// <summary>A broker authenticator that runs the real SCRAM method but forges the server-final <c>v=</c> when switched on.</summary>
internal sealed class TamperingAuthenticator(IEnhancedAuthenticator inner, TamperSwitch tamper) : IEnhancedAuthenticator
{
    public string Method => inner.Method;

    public static void Wrap(BrokerOptions options, string method, TamperSwitch tamper) =>
        options.EnhancedAuthenticators[method] = new TamperingAuthenticator(options.EnhancedAuthenticators[method], tamper);

    public IAuthenticationExchange Start(ClientInfo client, string? userName) => new Exchange(inner.Start(client, userName), tamper);

    private sealed class Exchange(IAuthenticationExchange inner, TamperSwitch tamper) : IAuthenticationExchange
    {
        public async ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
        {
            AuthenticationResult result = await inner.StepAsync(clientData, cancellationToken);
            if (result.Status != AuthenticationStatus.Success || !tamper.Enabled)
            {
                return result;
            }

            // v=<base64 signature>: flip one bit of the signature, keeping it well-formed base64 of the right size.
            string serverFinal = Encoding.UTF8.GetString(result.Data.Span);
            Assert.StartsWith("v=", serverFinal, StringComparison.Ordinal);
            byte[] signature = Convert.FromBase64String(serverFinal[2..]);
            signature[0] ^= 0x01;
            tamper.Tampered();
            return result with { Data = Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(signature)) };
        }
    }
}
