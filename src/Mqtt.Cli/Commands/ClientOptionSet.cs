using System.CommandLine;
using System.Text;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>
/// The "Common client options" of CLI.md, added to each client command. `-v` is left out when the command
/// gives it another meaning (`sub -v` prints topics, as mosquitto_sub does); `--verbose` always logs, and so do
/// mosquitto's `-d` and `--debug`.
/// </summary>
public sealed class ClientOptionSet
{
    public const string PasswordVariable = "MQTTCORE_PASSWORD";

    public ClientOptionSet(bool shortVerbose = true)
    {
        Verbose = shortVerbose
            ? new Option<bool>("--verbose", "-v", "-d", "--debug") { Description = "Log protocol events to stderr" }
            : new Option<bool>("--verbose", "-d", "--debug") { Description = "Log protocol events to stderr" };
    }

    public Option<string> Host { get; } = new("--host", "-h") { Description = "Broker host", DefaultValueFactory = _ => "127.0.0.1" };

    public Option<int?> Port { get; } = new Option<int?>("--port", "-p") { Description = "Broker port (default 1883, 8883 with --tls; with --ws 80, 443 with --tls)" }
        .Within(1, 65535);

    public Option<string?> User { get; } = new("--user", "-u") { Description = "User name (default: anonymous)" };

    public Option<string?> Password { get; } = new("--password", "-P") { Description = $"Password; also env {PasswordVariable} or --password-stdin" };

    public Option<bool> PasswordStdin { get; } = new("--password-stdin") { Description = "Read the password from the first line of stdin" };

    public Option<string?> Auth { get; } = new Option<string?>("--auth")
    {
        Description = "scram-sha-256, scram-sha-512, plain (CONNECT password) or none (default: scram-sha-256 with a user, else none)",
    }.AcceptOnlyFromAmong("scram-sha-256", "scram-sha-512", "plain", "none");

    public Option<string?> Id { get; } = new("--id", "-i") { Description = "Client identifier (default: random)" };

    /// <summary>mosquitto's -I, for brokers that grant rights by client id prefix (Mosquitto's `clientid_prefixes`).</summary>
    public Option<string?> IdPrefix { get; } = new("--id-prefix", "-I") { Description = "Client identifier: PREFIX followed by the process id", HelpName = "PREFIX" };

    /// <summary>`-V 5` or `-V 3.1.1`; mosquitto_pub's spellings `mqttv5`, `mqttv311` and `311` work too.</summary>
    public Option<ProtocolVersion?> Protocol { get; } = new Option<ProtocolVersion?>("--protocol", "-V")
    {
        Description = "MQTT protocol version: 5 or 3.1.1 (also mqttv5, mqttv311, 311); default 5",
        HelpName = "5|3.1.1",
        CustomParser = static argument => argument.Tokens[^1].Value switch
        {
            "5" or "mqttv5" => ProtocolVersion.V500,
            "3.1.1" or "311" or "mqttv311" => ProtocolVersion.V311,
            string other => Invalid(argument, $"-V must be 5 or 3.1.1 (or mqttv5, mqttv311, 311), not '{other}'"),
        },
    };

    private static ProtocolVersion? Invalid(System.CommandLine.Parsing.ArgumentResult argument, string message)
    {
        argument.AddError(message);
        return null;
    }

    /// <summary>mosquitto_pub's `-k`: a 3.1.1 client cannot be told a smaller Server Keep Alive, so a broker capping keep alive may refuse 60.</summary>
    public Option<int> KeepAlive { get; } = new Option<int>("--keepalive", "-k")
    {
        Description = "Keep alive in seconds (0: none)",
        DefaultValueFactory = _ => 60,
    }.Within(0, ushort.MaxValue);

    public Option<bool> Tls { get; } = new("--tls") { Description = "Use TLS to the broker" };

    public Option<string?> CaFile { get; } = new("--cafile") { Description = "PEM file of CA certificates trusted for the broker (implies --tls)" };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Do not check the broker's certificate (implies --tls)" };

    public Option<bool> Ws { get; } = new("--ws") { Description = "MQTT over WebSocket (wss:// with --tls) instead of TCP" };

    public Option<string?> WsPath { get; } = new("--ws-path") { Description = "WebSocket request path (implies --ws); default /mqtt" };

    public Option<double> Timeout { get; } = new Option<double>("--timeout")
    {
        Description = "Seconds before giving up (connect, and waiting for messages); 0: wait for ever",
        DefaultValueFactory = _ => 10,
    }.Within(0, MaxTimeoutSeconds, " (0: wait for ever)");

    /// <summary>About 23 days: longer waits overflow the timers that enforce them.</summary>
    internal const double MaxTimeoutSeconds = 2_000_000;

    public Option<bool> Verbose { get; }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Host, Port, User, Password, PasswordStdin, Auth, Id, IdPrefix, Protocol, KeepAlive, Tls, CaFile, Insecure, Ws, WsPath, Timeout, Verbose })
        {
            command.Options.Add(option);
        }
        command.AddCheck(r =>
        {
            if (r.GetValue(Id) is not null && r.GetValue(IdPrefix) is not null)
            {
                r.AddError("give the client id with -i or its prefix with -I, not both");
            }
        });
    }

    private ProtocolVersion GetProtocol(ParseResult result) => result.GetValue(Protocol) ?? ProtocolVersion.V500;

    /// <summary>The seconds of --timeout as a span (infinite when 0).</summary>
    public TimeSpan GetTimeout(ParseResult result)
    {
        double seconds = result.GetValue(Timeout);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : System.Threading.Timeout.InfiniteTimeSpan;
    }

    /// <summary>Client options from the command line; on a usage error writes it to stderr and returns null.</summary>
    /// <remarks>
    /// `--auth scram-sha-256|scram-sha-512` (the default with a user) logs in with SCRAM over MQTT 5 enhanced
    /// authentication: the password stays local and the broker must prove it knows the verifier. `plain` sends the
    /// password in CONNECT (with a warning on stderr without TLS); `none` sends no password (a user name, if given,
    /// still goes in CONNECT).
    /// </remarks>
    public MqttClientOptions? Build(ParseResult result, TextWriter error) =>
        TryReadPassword(result, error, out string? password) ? Build(result, error, password) : null;

    /// <summary>As <see cref="Build(ParseResult, TextWriter)"/> with a password read beforehand (`bench` builds options per connection).</summary>
    internal MqttClientOptions? Build(ParseResult result, TextWriter error, string? password)
    {
        string? user = result.GetValue(User);
        string auth = result.GetValue(Auth) ?? (user is null ? "none" : "scram-sha-256");
        bool v5 = GetProtocol(result) == ProtocolVersion.V500;
        IEnhancedAuthenticationHandler? handler = null;
        switch (auth)
        {
            case "none":
                password = null;
                break;
            case "plain":
                if (password is null)
                {
                    error.WriteLine("mqttcore: --auth plain needs a password (-P, --password-stdin or MQTTCORE_PASSWORD)");
                    return null;
                }
                break;
            default:
                if (user is null)
                {
                    error.WriteLine($"mqttcore: --auth {auth} needs a user name (-u)");
                    return null;
                }
                if (password is null)
                {
                    error.WriteLine($"mqttcore: --auth {auth} needs a password (-P, --password-stdin or MQTTCORE_PASSWORD)");
                    return null;
                }
                if (!v5)
                {
                    error.WriteLine($"mqttcore: --auth {auth} needs MQTT 5 (enhanced authentication); with -V 3.1.1 use --auth plain over --tls");
                    return null;
                }
                try
                {
                    handler = ScramAuthenticationHandler.Create(auth.ToUpperInvariant(), user, password);
                }
                catch (ArgumentException e)
                {
                    error.WriteLine($"mqttcore: {e.Message}");
                    return null;
                }
                password = null; // SCRAM: the password never goes in CONNECT
                break;
        }
        if (password is not null && !UsesTls(result))
        {
            // Only `plain` gets here with a password: CONNECT carries it as it is, readable by anyone on the path.
            error.WriteLine("warning: sending the password in clear text (no --tls)");
        }
        return Create(result, error, user, password, handler);
    }

    /// <summary>
    /// Client options for `mqttcore register`: CONNECT with method MQTTCORE-REGISTER carrying the SCRAM verifiers
    /// derived here from the password (never the password itself). Null on a usage error, written to stderr.
    /// </summary>
    public MqttClientOptions? BuildRegistration(ParseResult result, TextWriter error)
    {
        string? user = result.GetValue(User);
        if (user is null)
        {
            error.WriteLine("mqttcore: register needs a user name (-u NAME)");
            return null;
        }
        if (result.GetValue(Auth) is string auth)
        {
            error.WriteLine($"mqttcore: register always sends SCRAM verifiers (method {Mqtt.Security.Credentials.ScramRegistration.Method}); --auth {auth} does not apply");
            return null;
        }
        if (GetProtocol(result) == ProtocolVersion.V311)
        {
            error.WriteLine("mqttcore: register needs MQTT 5 (enhanced authentication)");
            return null;
        }
        if (!TryReadPassword(result, error, out string? password))
        {
            return null;
        }
        if (string.IsNullOrEmpty(password))
        {
            error.WriteLine("mqttcore: register needs a password (-P, --password-stdin or MQTTCORE_PASSWORD)");
            return null;
        }
        if (!Mqtt.Security.UserName.IsValidForNewUser(user))
        {
            // The broker's rule for new names (docs/security.md): refused here before connecting, with the reason.
            error.WriteLine("mqttcore: invalid user name: 1..64 characters; no '/', '+', '#', '%', control or invisible characters; no white space at either end; not starting with '$'");
            return null;
        }
        RegistrationHandler handler;
        try
        {
            handler = new RegistrationHandler(user, password);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"mqttcore: {e.Message}");
            return null;
        }
        return Create(result, error, user, null, handler);
    }

    /// <summary>The password of -P, --password-stdin (read once) or MQTTCORE_PASSWORD.</summary>
    internal bool TryReadPassword(ParseResult result, TextWriter error, out string? password)
    {
        password = result.GetValue(Password);
        if (result.GetValue(PasswordStdin))
        {
            if (password is not null)
            {
                error.WriteLine("mqttcore: give the password with -P or --password-stdin, not both");
                return false;
            }
            password = CliInput.Reader.ReadLine() ?? "";
        }
        password ??= Environment.GetEnvironmentVariable(PasswordVariable);
        if (password is not null && DecodedText.LostBytes(password))
        {
            error.WriteLine("mqttcore: the password is not valid UTF-8 (or holds U+FFFD)");
            return false;
        }
        return true;
    }

    /// <summary>--tls, or --cafile or --insecure, which imply it (over --ws too: wss://).</summary>
    private bool UsesTls(ParseResult result) => result.GetValue(Tls) || result.GetValue(CaFile) is not null || result.GetValue(Insecure);

    private MqttClientOptions Create(ParseResult result, TextWriter error, string? user, string? password, IEnhancedAuthenticationHandler? handler)
    {
        TimeSpan timeout = GetTimeout(result);
        return new MqttClientOptions
        {
            Host = result.GetValue(Host) ?? "127.0.0.1",
            Port = result.GetValue(Port) ?? 0,
            UseTls = UsesTls(result),
            WebSocketPath = result.GetValue(WsPath) ?? (result.GetValue(Ws) ? "/mqtt" : null),
            CaFile = result.GetValue(CaFile),
            AllowUntrustedCertificates = result.GetValue(Insecure),
            ClientId = result.GetValue(Id)
                ?? (result.GetValue(IdPrefix) is string prefix ? prefix + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) : null)
                ?? "mqttcore-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..12],
            ProtocolVersion = GetProtocol(result),
            UserName = user,
            Password = password is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(password),
            AuthenticationHandler = handler,
            ConnectTimeout = timeout,
            KeepAlive = TimeSpan.FromSeconds(result.GetValue(KeepAlive)),
            Logger = result.GetValue(Verbose) ? new StderrLogger(error) : null,
        };
    }

    private static bool FailedTls(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Maps a failure to CLI.md's exit code, writing the reason to stderr.</summary>
    public static int Fail(Exception exception, TextWriter error)
    {
        switch (exception)
        {
            case MqttConnectException refused:
                error.WriteLine($"refused: {MqttReasonCodeText.Format(refused.Result.ReasonCode)}");
                if (refused.Result.ReasonCode == ReasonCode.BadAuthenticationMethod)
                {
                    // The usual cause: -u with the default SCRAM against a broker without it (Mosquitto, for one).
                    error.WriteLine("hint: the broker does not offer this --auth method; brokers without SCRAM take --auth plain (over --tls)");
                }
                if (refused.Result.ReasonCode == ReasonCode.UnsupportedProtocolVersion)
                {
                    error.WriteLine("hint: the broker does not speak MQTT 5 (the default); -V 3.1.1 connects with MQTT 3.1.1");
                }
                return ExitCodes.Refused;
            case MqttAuthenticationException:
                // The broker could not prove it knows the user's verifier (SCRAM v=), like a failed TLS check.
                error.WriteLine($"authentication failed: {exception.Message}");
                return ExitCodes.Unreachable;
            case MqttTimeoutException:
                error.WriteLine($"timeout: {exception.Message}");
                return ExitCodes.Timeout;
            case MqttTransportException:
                error.WriteLine($"cannot reach the broker: {exception.Message}");
                if (FailedTls(exception))
                {
                    error.WriteLine("hint: the broker's certificate was not accepted: it must come from the CA given with --cafile (or a system CA) and name the -h host; --insecure skips the check (for tests only)");
                }
                return ExitCodes.Unreachable;
            case MqttException { ReasonCode: ReasonCode.PacketTooLarge or ReasonCode.QoSNotSupported or ReasonCode.RetainNotSupported } limit
                and not (MqttConnectException or MqttTransportException or MqttConnectionLostException):
                // Over a limit the broker announced in CONNACK (Maximum Packet Size, Maximum QoS, Retain Available):
                // never sent, as the broker would refuse it; the connection is fine.
                error.WriteLine($"refused: {MqttReasonCodeText.Format(limit.ReasonCode!.Value)} ({exception.Message})");
                return ExitCodes.Refused;
            case MqttException:
                error.WriteLine($"connection failed: {exception.Message}");
                return ExitCodes.Unreachable;
            case ArgumentException or IOException or UnauthorizedAccessException:
                error.WriteLine($"mqttcore: {exception.Message}");
                return ExitCodes.Usage;
            default:
                throw exception;
        }
    }
}
