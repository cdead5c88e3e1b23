using Mqtt.Client;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Cli.Bench;

/// <summary>
/// Makes the run's clients from the options of the command line: same broker, protocol and credentials, a client
/// identifier of their own, and for SCRAM a handler of their own sharing one <see cref="SaltedPasswordCache"/>. With
/// registration, each client registers a user named after its client identifier, all with one set of verifiers
/// derived once, so a storm measures the broker's cost of a registration, not the generator's PBKDF2.
/// </summary>
public sealed class BenchClientFactory
{
    private readonly MqttClientOptions _template;
    private readonly string? _password;
    private readonly ScramMechanism? _scram;
    private readonly SaltedPasswordCache _cache = new();
    private readonly IReadOnlyList<ScramVerifier>? _registrationVerifiers;

    /// <param name="template">Options built from the command line (its client identifier is not used).</param>
    /// <param name="password">The password, needed for SCRAM (which never puts it in CONNECT); with registration, the new users' password (default "bench").</param>
    /// <param name="register">Each client registers a new user instead of logging in.</param>
    public BenchClientFactory(MqttClientOptions template, string? password, bool register = false)
    {
        _template = template;
        _password = password;
        if (register)
        {
            if (template.AuthenticationHandler is not null || template.UserName is not null || template.ProtocolVersion != ProtocolVersion.V500)
            {
                throw new ArgumentException("--register makes its own users with MQTT 5 enhanced authentication: give no -u, --auth or -V 3.1.1");
            }

            _registrationVerifiers = UserCredentials.Derive("bench", password ?? "bench").Verifiers;
        }
        else if (template.AuthenticationHandler is IEnhancedAuthenticationHandler handler)
        {
            _scram = ScramMechanism.TryGetByName(handler.Method, out ScramMechanism? mechanism) && password is not null
                ? mechanism
                : throw new ArgumentException($"bench supports SCRAM-SHA-256 and SCRAM-SHA-512 only, not {handler.Method}");
        }
    }

    /// <summary>A new client (not connected) with its own identifier; <paramref name="keepAlive"/> overrides the default 60 s.</summary>
    public MqttClient Create(string clientId, TimeSpan? keepAlive = null)
    {
        var options = new MqttClientOptions
        {
            Host = _template.Host,
            Port = _template.Port,
            UseTls = _template.UseTls,
            WebSocketPath = _template.WebSocketPath,
            CaFile = _template.CaFile,
            AllowUntrustedCertificates = _template.AllowUntrustedCertificates,
            ClientId = clientId,
            ProtocolVersion = _template.ProtocolVersion,
            UserName = _template.UserName,
            Password = _registrationVerifiers is null ? _template.Password : null, // a registration never sends the password
            AuthenticationHandler = AuthenticationHandlerFor(clientId),
            ConnectTimeout = _template.ConnectTimeout,
            KeepAlive = keepAlive ?? _template.KeepAlive,
            Logger = _template.Logger,
        };
        return new MqttClient(options);
    }

    private IEnhancedAuthenticationHandler? AuthenticationHandlerFor(string clientId)
    {
        if (_registrationVerifiers is not null)
        {
            return new RegistrationHandler(new UserCredentials(clientId, _registrationVerifiers));
        }

        return _scram is null ? null : new ScramAuthenticationHandler(_scram, _template.UserName!, _password!) { SaltedPasswords = _cache };
    }
}
