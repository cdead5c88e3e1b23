using System.Text;
using Mqtt.Codec;
using Mqtt.Security.Scram;

namespace Mqtt.Client;

/// <summary>
/// SCRAM-SHA-256 or SCRAM-SHA-512 (RFC 5802, RFC 7677) over MQTT 5 enhanced authentication (SECURITY.md section 1):
/// CONNECT carries the client-first-message, each AUTH 0x18 from the server (server-first) is answered with the
/// client-final-message, and the server-final <c>v=</c> of the CONNACK (or of the AUTH 0x00 ending a
/// re-authentication) must prove that the server knows the user's verifier, or the client disconnects
/// (mutual authentication). The password never goes on the wire.
/// </summary>
/// <remarks>
/// Each <see cref="StartAsync"/> begins a fresh <see cref="ScramClient"/> exchange (fresh nonce), so one handler serves
/// the first connection, reconnections and <see cref="MqttClient.ReauthenticateAsync"/>. The handler keeps the password
/// in memory for that reason. A server-first-message that the client refuses (fewer than 4096 iterations, a nonce that
/// does not extend ours, malformed) fails with <see cref="MqttAuthenticationException"/>, whose inner exception is the
/// <see cref="ScramException"/>.
/// </remarks>
public sealed class ScramAuthenticationHandler : IEnhancedAuthenticationHandler
{
    private readonly ScramMechanism _mechanism;
    private readonly string _userName;
    private readonly string _password;
    private readonly object _sync = new();
    private ScramClient? _exchange;

    /// <summary>Creates a handler for one user.</summary>
    /// <param name="mechanism"><see cref="ScramMechanism.Sha256"/> or <see cref="ScramMechanism.Sha512"/>.</param>
    /// <param name="userName">The user name (sent as the SCRAM <c>n=</c>; CONNECT's User Name, if set, must be the same).</param>
    /// <param name="password">The password; used locally only.</param>
    /// <exception cref="ArgumentException">The name is empty or the password is ill-formed.</exception>
    public ScramAuthenticationHandler(ScramMechanism mechanism, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(password);
        _mechanism = mechanism;
        _userName = userName;
        _password = password;
        // Fail early (at construction, not at connect) on a name or password ScramClient refuses.
        _ = new ScramClient(mechanism, userName, password);
    }

    /// <summary>Creates a handler from a mechanism name, <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c>.</summary>
    /// <param name="mechanism">The mechanism name (the MQTT Authentication Method).</param>
    /// <param name="userName">The user name.</param>
    /// <param name="password">The password.</param>
    /// <returns>The handler.</returns>
    /// <exception cref="ArgumentException">Unknown mechanism, empty name or ill-formed password.</exception>
    public static ScramAuthenticationHandler Create(string mechanism, string userName, string password) =>
        ScramMechanism.TryGetByName(mechanism, out ScramMechanism? m)
            ? new ScramAuthenticationHandler(m, userName, password)
            : throw new ArgumentException($"unknown SCRAM mechanism '{mechanism}'", nameof(mechanism));

    /// <inheritdoc />
    public string Method => _mechanism.Name;

    /// <summary>The user name being authenticated.</summary>
    public string UserName => _userName;

    /// <summary>The most PBKDF2 iterations this client agrees to compute (default 1,000,000); never below 4096.</summary>
    public int MaximumIterationCount { get; init; } = 1_000_000;

    /// <summary>
    /// Shared salted passwords (see <see cref="SaltedPasswordCache"/>), so that handlers of many connections for the same
    /// user and password run PBKDF2 once; null (the default) runs it in every exchange.
    /// </summary>
    public SaltedPasswordCache? SaltedPasswords { get; init; }

    /// <summary>Why the last exchange failed on the client's side (e.g. the server's signature was wrong); null when it did not.</summary>
    public ScramException? LastError { get; private set; }

    /// <summary>True once the last exchange's server-final-message proved the server (mutual authentication).</summary>
    public bool IsServerAuthenticated
    {
        get
        {
            lock (_sync)
            {
                return _exchange?.IsAuthenticated == true;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken)
    {
        var exchange = new ScramClient(_mechanism, _userName, _password) { MaximumIterationCount = MaximumIterationCount, SaltedPasswords = SaltedPasswords };
        string clientFirst = exchange.CreateClientFirstMessage();
        lock (_sync)
        {
            _exchange = exchange;
            LastError = null;
        }
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(Encoding.UTF8.GetBytes(clientFirst));
    }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken)
    {
        ScramClient exchange = Current();
        // The PBKDF2 work (4096+ iterations) happens here; it is bounded by MaximumIterationCount.
        if (!exchange.TryCreateClientFinalMessage((serverData ?? ReadOnlyMemory<byte>.Empty).Span, out string? clientFinal, out ScramException? error))
        {
            LastError = error;
            throw new MqttAuthenticationException($"{Method}: the server-first-message was refused: {error.Message}", ReasonCode.NotAuthorized, error);
        }
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(Encoding.UTF8.GetBytes(clientFinal));
    }

    /// <inheritdoc />
    public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken)
    {
        ScramClient exchange = Current();
        if (serverData is null)
        {
            LastError = new ScramException(ScramError.MalformedMessage, "The server sent no server-final-message, so it did not prove itself.");
            return ValueTask.FromResult(false);
        }
        if (!exchange.TryVerifyServerFinal(serverData.Value.Span, out ScramException? error))
        {
            LastError = error;
            return ValueTask.FromResult(false);
        }
        return ValueTask.FromResult(true);
    }

    private ScramClient Current()
    {
        lock (_sync)
        {
            return _exchange ?? throw new MqttAuthenticationException($"{Method}: the server answered before the exchange started", ReasonCode.ProtocolError);
        }
    }
}
