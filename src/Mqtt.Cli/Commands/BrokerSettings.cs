using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mqtt.Broker;

namespace Mqtt.Cli.Commands;

/// <summary>
/// The broker's settings: a JSON config file whose keys are the flag names without dashes' prefix
/// (e.g. "listen", "allow-anonymous", "max-packet-size"), then the command-line flags on top.
/// </summary>
internal sealed class BrokerSettings
{
    public List<string> Listen { get; private set; } = [];
    public List<string> TlsListen { get; private set; } = [];
    public List<string> WsListen { get; private set; } = [];
    public List<string> WssListen { get; private set; } = [];
    public string? Cert { get; private set; }
    public string? Key { get; private set; }
    public string Data { get; private set; } = "./mqttcore-data";
    public string Registration { get; private set; } = "open";
    public string PlainPasswords { get; private set; } = "tls";
    public bool AllowAnonymous { get; private set; }
    public string? Acl { get; private set; }
    public LogLevel LogLevel { get; private set; } = LogLevel.Information;
    public int? MaxKeepAlive { get; private set; }
    public int? ReceiveMaximum { get; private set; }
    public int? MaxPacketSize { get; private set; }
    public int? MaxConnections { get; private set; }
    public int? MaxQueuedMessages { get; private set; }
    public long? MaxQueuedBytes { get; private set; }
    public int? MaxRetainedMessages { get; private set; }
    public long? MaxRetainedBytes { get; private set; }
    public long? MaxConnectingBytes { get; private set; }
    public long? MaxSessionExpiry { get; private set; }
    public int? MaxUsers { get; private set; }

    public int? MaxRegistrationsPerAddress { get; private set; }
    public int? SysInterval { get; private set; }
    public bool Persistence { get; private set; }
    public int? AutosaveInterval { get; private set; }

    public static BrokerSettings Load(string? path)
    {
        var settings = new BrokerSettings();
        if (path is null)
        {
            return settings;
        }
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"{path}: the config must be a JSON object whose keys are the flag names");
        }
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            settings.Set(property.Name, property.Value);
        }
        return settings;
    }

    /// <summary>The command line's flags on top of the config file's values.</summary>
    public void Apply(ParseResult result)
    {
        Listen = Endpoints(result, BrokerFlags.Listen, Listen);
        TlsListen = Endpoints(result, BrokerFlags.TlsListen, TlsListen);
        WsListen = Endpoints(result, BrokerFlags.WsListen, WsListen);
        WssListen = Endpoints(result, BrokerFlags.WssListen, WssListen);
        Cert = result.GetValue(BrokerFlags.Cert) ?? Cert;
        Key = result.GetValue(BrokerFlags.Key) ?? Key;
        Data = result.GetValue(BrokerFlags.Data) ?? Data;
        Registration = Choice(result.GetValue(BrokerFlags.Registration) ?? Registration, "registration", "open", "closed");
        PlainPasswords = Choice(result.GetValue(BrokerFlags.PlainPasswords) ?? PlainPasswords, "plain-passwords", "never", "tls", "always");
        if (result.GetResult(BrokerFlags.AllowAnonymous) is { Implicit: false })
        {
            AllowAnonymous = result.GetValue(BrokerFlags.AllowAnonymous); // `--allow-anonymous false` overrides the config file too
        }
        Acl = result.GetValue(BrokerFlags.Acl) ?? Acl;
        if (result.GetValue(BrokerFlags.LogLevel) is string level)
        {
            LogLevel = ParseLogLevel(level);
        }
        MaxKeepAlive = result.GetValue(BrokerFlags.MaxKeepAlive) ?? MaxKeepAlive;
        ReceiveMaximum = result.GetValue(BrokerFlags.ReceiveMaximum) ?? ReceiveMaximum;
        MaxPacketSize = result.GetValue(BrokerFlags.MaxPacketSize) ?? MaxPacketSize;
        MaxConnections = result.GetValue(BrokerFlags.MaxConnections) ?? MaxConnections;
        MaxQueuedMessages = result.GetValue(BrokerFlags.MaxQueuedMessages) ?? MaxQueuedMessages;
        MaxQueuedBytes = result.GetValue(BrokerFlags.MaxQueuedBytes) ?? MaxQueuedBytes;
        MaxRetainedMessages = result.GetValue(BrokerFlags.MaxRetainedMessages) ?? MaxRetainedMessages;
        MaxRetainedBytes = result.GetValue(BrokerFlags.MaxRetainedBytes) ?? MaxRetainedBytes;
        MaxConnectingBytes = result.GetValue(BrokerFlags.MaxConnectingBytes) ?? MaxConnectingBytes;
        MaxSessionExpiry = result.GetValue(BrokerFlags.MaxSessionExpiry) ?? MaxSessionExpiry;
        MaxUsers = result.GetValue(BrokerFlags.MaxUsers) ?? MaxUsers;
        MaxRegistrationsPerAddress = result.GetValue(BrokerFlags.MaxRegistrationsPerAddress) ?? MaxRegistrationsPerAddress;
        SysInterval = result.GetValue(BrokerFlags.SysInterval) ?? SysInterval;
        if (result.GetResult(BrokerFlags.Persistence) is { Implicit: false })
        {
            Persistence = result.GetValue(BrokerFlags.Persistence);
        }
        AutosaveInterval = result.GetValue(BrokerFlags.AutosaveInterval) ?? AutosaveInterval;
    }

    /// <summary>The security part of the settings (issue 5): data folder, policies and ACL file.</summary>
    public BrokerSecurityOptions ToSecurityOptions() => new()
    {
        DataDirectory = File.Exists(Data) ? throw new ArgumentException($"--data {Data} is a file; it names a folder (the credentials live there)") : Data,
        Registration = Registration == "closed" ? RegistrationPolicy.Closed : RegistrationPolicy.Open,
        PlainPasswords = PlainPasswords switch { "never" => PlainPasswordPolicy.Never, "always" => PlainPasswordPolicy.Always, _ => PlainPasswordPolicy.Tls },
        AclFile = Acl,
        MaximumRegisteredUsers = Range(MaxUsers ?? 100_000, "max-users", 0, int.MaxValue),
        Throttle = new LoginThrottleOptions
        {
            RegistrationsPerAddress = Range(MaxRegistrationsPerAddress ?? 10, "max-registrations-per-address", 0, int.MaxValue),
        },
    };

    public BrokerOptions ToOptions()
    {
        var options = new BrokerOptions { AllowAnonymous = AllowAnonymous };
        bool noListener = Listen.Count + TlsListen.Count + WsListen.Count + WssListen.Count == 0;
        AddEndPoints(options.Listeners, noListener ? ["127.0.0.1:1883"] : Listen);
        AddEndPoints(options.TlsListeners, TlsListen);
        AddEndPoints(options.WebSocketListeners, WsListen);
        AddEndPoints(options.TlsWebSocketListeners, WssListen);
        if (TlsListen.Count + WssListen.Count > 0)
        {
            if (Cert is null || Key is null)
            {
                throw new ArgumentException($"{(TlsListen.Count > 0 ? "--tls-listen" : "--wss-listen")} needs --cert and --key");
            }
            options.Certificate = X509Certificate2.CreateFromPemFile(Cert, Key);
        }
        options.MaximumKeepAlive = (ushort)Range(MaxKeepAlive ?? 0, "max-keepalive", 0, ushort.MaxValue);
        options.ReceiveMaximum = (ushort)Range(ReceiveMaximum ?? options.ReceiveMaximum, "receive-maximum", 1, ushort.MaxValue);
        options.MaximumPacketSize = Range(MaxPacketSize ?? options.MaximumPacketSize, "max-packet-size", 64, 268_435_460);
        options.MaximumConnections = Range(MaxConnections ?? options.MaximumConnections, "max-connections", 1, int.MaxValue);
        options.MaximumQueuedMessages = Range(MaxQueuedMessages ?? options.MaximumQueuedMessages, "max-queued-messages", 0, int.MaxValue);
        options.MaximumQueuedBytes = ByteBound(MaxQueuedBytes ?? options.MaximumQueuedBytes, "max-queued-bytes");
        options.MaximumRetainedMessages = Range(MaxRetainedMessages ?? options.MaximumRetainedMessages, "max-retained-messages", 0, int.MaxValue);
        options.MaximumRetainedBytes = ByteBound(MaxRetainedBytes ?? options.MaximumRetainedBytes, "max-retained-bytes");
        options.MaximumConnectingBytes = ByteBound(MaxConnectingBytes ?? options.MaximumConnectingBytes, "max-connecting-bytes");
        options.MaximumSessionExpiry = (uint)Range(MaxSessionExpiry ?? 0, "max-session-expiry", 0, uint.MaxValue);
        options.SysInterval = TimeSpan.FromSeconds(Range(SysInterval ?? 10, "sys-interval", 0, 86_400));
        // As Mosquitto's persistence_file in its persistence_location: the state lives with the credentials.
        options.PersistenceFile = Persistence ? Path.Combine(Data, "state") : null;
        options.AutosaveInterval = TimeSpan.FromSeconds(Range(AutosaveInterval ?? 1800, "autosave-interval", 0, 2_592_000));
        return options;
    }

    /// <summary>
    /// Settings that take no effect as given: not errors (a config file's TLS files stay valid when the command line
    /// replaces its listeners), but a user who set them expects something the broker will not do.
    /// </summary>
    public IEnumerable<string> Unused()
    {
        if ((Cert is not null || Key is not null) && TlsListen.Count + WssListen.Count == 0)
        {
            yield return "--cert/--key are not used: there is no --tls-listen or --wss-listen listener, so nothing is served over TLS";
        }
        if (AutosaveInterval is not null && !Persistence)
        {
            yield return "--autosave-interval is not used without --persistence: nothing is saved";
        }
    }

    /// <summary>A listener flag given on the command line replaces the config file's list of that kind.</summary>
    private static List<string> Endpoints(ParseResult result, Option<string[]> option, List<string> configured) =>
        result.GetValue(option) is { Length: > 0 } given ? [.. given] : configured;

    private static void AddEndPoints(List<IPEndPoint> endPoints, List<string> values)
    {
        foreach (string value in values)
        {
            endPoints.Add(ParseEndPoint(value));
        }
    }

    private void Set(string name, JsonElement value)
    {
        switch (name)
        {
            case "listen": Listen = Strings(value, name); break;
            case "tls-listen": TlsListen = Strings(value, name); break;
            case "ws-listen": WsListen = Strings(value, name); break;
            case "wss-listen": WssListen = Strings(value, name); break;
            case "cert": Cert = Text(value, name); break;
            case "key": Key = Text(value, name); break;
            case "data": Data = Text(value, name); break;
            case "registration": Registration = Choice(Text(value, name), name, "open", "closed"); break;
            case "plain-passwords": PlainPasswords = Choice(Text(value, name), name, "never", "tls", "always"); break;
            case "allow-anonymous": AllowAnonymous = Boolean(value, name); break;
            case "persistence": Persistence = Boolean(value, name); break;
            case "autosave-interval": AutosaveInterval = (int)Integer(value, name, int.MaxValue); break;
            case "acl": Acl = Text(value, name); break;
            case "log-level": LogLevel = ParseLogLevel(Text(value, name)); break;
            case "max-keepalive": MaxKeepAlive = (int)Integer(value, name, int.MaxValue); break;
            case "receive-maximum": ReceiveMaximum = (int)Integer(value, name, int.MaxValue); break;
            case "max-packet-size": MaxPacketSize = (int)Integer(value, name, int.MaxValue); break;
            case "max-connections": MaxConnections = (int)Integer(value, name, int.MaxValue); break;
            case "max-queued-messages": MaxQueuedMessages = (int)Integer(value, name, int.MaxValue); break;
            case "max-queued-bytes": MaxQueuedBytes = Integer(value, name, long.MaxValue); break;
            case "max-retained-messages": MaxRetainedMessages = (int)Integer(value, name, int.MaxValue); break;
            case "max-retained-bytes": MaxRetainedBytes = Integer(value, name, long.MaxValue); break;
            case "max-connecting-bytes": MaxConnectingBytes = Integer(value, name, long.MaxValue); break;
            case "max-session-expiry": MaxSessionExpiry = Integer(value, name, long.MaxValue); break;
            case "max-users": MaxUsers = (int)Integer(value, name, int.MaxValue); break;
            case "max-registrations-per-address": MaxRegistrationsPerAddress = (int)Integer(value, name, int.MaxValue); break;
            case "sys-interval": SysInterval = (int)Integer(value, name, int.MaxValue); break;
            default: throw new ArgumentException($"unknown config key '{name}'");
        }
    }

    private static List<string> Strings(JsonElement value, string name) => value.ValueKind == JsonValueKind.Array
        ? [.. value.EnumerateArray().Select(e => Text(e, name))]
        : [Text(value, name)];

    private static string Text(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(name, "a string");

    private static bool Boolean(JsonElement value, string name) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw WrongType(name, "true or false");

    private static long Integer(JsonElement value, string name, long max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= int.MinValue && number <= max
            ? number
            : throw WrongType(name, $"an integer up to {max}");

    private static ArgumentException WrongType(string name, string expected) => new($"config key '{name}' must be {expected}");

    private static string Choice(string? value, string name, params string[] allowed) =>
        Array.IndexOf(allowed, value) >= 0 ? value! : throw new ArgumentException($"--{name} must be one of {string.Join('|', allowed)}");

    private static T Range<T>(T value, string name, T min, T max) where T : System.Numerics.INumber<T> =>
        value >= min && value <= max ? value : throw new ArgumentException($"--{name} must be {min}..{max}");

    /// <summary>A byte count of a bound where 0 means none.</summary>
    private static long ByteBound(long value, string name) =>
        value >= 0 ? value : throw new ArgumentException($"--{name} must be 0 (no bound) or more");

    /// <summary>A level by name only: Enum.TryParse also takes numbers ("99" logs nothing) and comma lists (OR-ed).</summary>
    private static LogLevel ParseLogLevel(string? level) =>
        Enum.GetNames<LogLevel>().FirstOrDefault(name => string.Equals(name, level, StringComparison.OrdinalIgnoreCase)) is string known
            ? Enum.Parse<LogLevel>(known)
            : throw new ArgumentException($"unknown log level '{level}' (trace|debug|information|warning|error|critical|none)");

    private static IPEndPoint ParseEndPoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new ArgumentException($"'{text}' is not HOST:PORT");
        }
        string host = text[..colon].Trim('[', ']');
        IPAddress address = host is "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out IPAddress? parsed) ? parsed
            : throw new ArgumentException($"'{host}' is not an IP address");
        return new IPEndPoint(address, port);
    }
}
