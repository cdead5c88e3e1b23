using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Hpke;
using Mqtt.Security.Scram;

namespace Mqtt.Client;

/// <summary>
/// Registers a new user with the <c>MQTTCORE-REGISTER</c> method (docs/security.md, SECURITY.md section 2): the client
/// derives the SCRAM-SHA-256 and SCRAM-SHA-512 verifiers itself (random salts, at least 4096 iterations) and never
/// sends the password. It always uses the sealed form (<see cref="SealedScramRegistration"/>): CONNECT asks for a key,
/// the broker's AUTH 0x18 carries a fresh P-256 key, and the client's AUTH 0x18 the verifiers sealed to it, so a
/// passive listener never sees them. A successful CONNACK echoes the method without data; the connection is then
/// logged in as the new user. Refusals come back as CONNACK 0x86 (name taken or invalid, data that does not open) or
/// 0x87 (registration closed), i.e. <see cref="MqttConnectException"/>.
/// </summary>
/// <remarks>
/// Registration cannot authenticate the server (nothing is shared yet), so on a link without TLS an active man in the
/// middle can hand out its own key and read the verifiers: register over TLS where that matters, and log in with
/// <see cref="ScramAuthenticationHandler"/> afterwards for mutual authentication. The verifiers are derived once, in
/// the constructor; one handler serves one connection at a time (each CONNECT restarts the exchange).
/// </remarks>
public sealed class RegistrationHandler : IEnhancedAuthenticationHandler
{
    private bool _awaitingBrokerKey;
    private bool _sealedSent;

    /// <summary>Derives the verifiers for <paramref name="userName"/> from <paramref name="password"/>.</summary>
    /// <param name="userName">The name to register (1..64 characters, no <c>/ + #</c>, no control characters, not starting with <c>$</c>).</param>
    /// <param name="password">The password; used locally only.</param>
    /// <param name="iterationCount">PBKDF2 iterations, 4096 (the default) to the broker's maximum (100,000 by default).</param>
    /// <exception cref="ArgumentException">The name is invalid, or the password ill-formed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 4096 iterations.</exception>
    public RegistrationHandler(string userName, string password, int iterationCount = ScramVerifier.DefaultIterationCount)
        : this(Derive(userName, password, iterationCount))
    {
    }

    /// <summary>Registers with verifiers derived beforehand (<see cref="UserCredentials.Derive"/>, or shared by a load generator's users).</summary>
    /// <param name="credentials">The name and verifiers to send.</param>
    public RegistrationHandler(UserCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        Credentials = credentials;
    }

    /// <inheritdoc />
    public string Method => ScramRegistration.Method;

    /// <summary>The name and verifiers sent, sealed (no password).</summary>
    public UserCredentials Credentials { get; }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken)
    {
        if (reauthentication)
        {
            throw new InvalidOperationException("registration is not a re-authentication method; re-authenticate with SCRAM");
        }
        _awaitingBrokerKey = true;
        _sealedSent = false;
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(SealedScramRegistration.Request);
    }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken)
    {
        if (!_awaitingBrokerKey)
        {
            throw new MqttAuthenticationException($"{Method} takes one key from the server; it sent another AUTH 0x18", ReasonCode.ProtocolError);
        }
        _awaitingBrokerKey = false;
        byte[] sealedRegistration;
        try
        {
            sealedRegistration = SealedScramRegistration.Seal(Credentials, serverData.GetValueOrDefault().Span);
        }
        catch (HpkeException e)
        {
            throw new MqttAuthenticationException($"{Method}: the server's AUTH 0x18 does not carry a valid P-256 public key", ReasonCode.ProtocolError, e);
        }
        _sealedSent = true;
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(sealedRegistration);
    }

    /// <summary>True only when the verifiers went out sealed: a server accepting the CONNECT without asking for them registered nothing.</summary>
    /// <param name="serverData">The server's Authentication Data (none is expected).</param>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>Whether this exchange sent the sealed registration.</returns>
    public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_sealedSent);

    private static UserCredentials Derive(string userName, string password, int iterationCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterationCount, ScramVerifier.MinimumIterationCount);
        return UserCredentials.Derive(userName, password, iterationCount);
    }
}
