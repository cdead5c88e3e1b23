using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Client;

/// <summary>
/// Registers a new user with the <c>MQTTCORE-REGISTER</c> method (docs/security.md, SECURITY.md section 2): the client
/// derives the SCRAM-SHA-256 and SCRAM-SHA-512 verifiers itself (random salts, at least 4096 iterations) and CONNECT
/// carries only them, never the password. A successful CONNACK echoes the method without data; the connection is then
/// logged in as the new user. Refusals come back as CONNACK 0x86 (name taken or invalid) or 0x87 (registration closed),
/// i.e. <see cref="MqttConnectException"/>.
/// </summary>
/// <remarks>
/// Registration cannot authenticate the server (nothing is shared yet): log in with
/// <see cref="ScramAuthenticationHandler"/> afterwards for mutual authentication. Use this handler for one connection
/// only; the verifiers are derived once, in the constructor.
/// </remarks>
public sealed class RegistrationHandler : IEnhancedAuthenticationHandler
{
    private readonly byte[] _data;

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
        _data = ScramRegistration.Encode(credentials);
    }

    /// <inheritdoc />
    public string Method => ScramRegistration.Method;

    /// <summary>The name and verifiers sent (no password).</summary>
    public UserCredentials Credentials { get; }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken)
    {
        if (reauthentication)
        {
            throw new InvalidOperationException("registration is not a re-authentication method; re-authenticate with SCRAM");
        }
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(_data);
    }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) =>
        throw new MqttAuthenticationException($"{Method} is a single step; the server sent AUTH 0x18", ReasonCode.ProtocolError);

    private static UserCredentials Derive(string userName, string password, int iterationCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterationCount, ScramVerifier.MinimumIterationCount);
        return UserCredentials.Derive(userName, password, iterationCount);
    }

    /// <inheritdoc />
    public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) =>
        ValueTask.FromResult(true);
}
