using System.CommandLine;
using System.CommandLine.Parsing;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>
/// mosquitto_pub's and mosquitto_sub's -c and -x, for `pub` and `sub`: a session that outlives the connection, so that
/// the broker keeps the subscriptions and queues QoS 1 and 2 messages for them while the client is away.
/// </summary>
internal sealed class SessionOptionSet
{
    public Option<bool> Persistent { get; } = new("--disable-clean-session", "-c")
    {
        Description = "Resume the session of client id -i and keep it after disconnecting (MQTT 5: for ever, unless -x)",
    };

    /// <summary>mosquitto's -x: 0..4294967295 seconds, with -1 and ∞ for 4294967295, which never expires (section 3.1.2.11.2).</summary>
    public Option<uint?> SessionExpiry { get; } = new("--session-expiry", "-x")
    {
        Description = "MQTT 5 Session Expiry Interval in seconds (-1: never); default -1 with -c, else 0",
        HelpName = "SECONDS",
        CustomParser = static argument => argument.Tokens[^1].Value switch
        {
            "-1" or "∞" => uint.MaxValue,
            string text when uint.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out uint seconds) => seconds,
            string other => Invalid(argument, $"-x must be 0..4294967295 seconds, or -1 (or ∞) for a session that never expires, not '{other}'"),
        },
    };

    private static uint? Invalid(ArgumentResult argument, string message)
    {
        argument.AddError(message);
        return null;
    }

    public void AddTo(Command command, ClientOptionSet common)
    {
        command.Options.Add(Persistent);
        command.Options.Add(SessionExpiry);
        command.AddCheck(r =>
        {
            bool persistent = r.GetValue(Persistent);
            uint? expiry = r.GetValue(SessionExpiry);
            // As mosquitto refuses them: a session kept under a random (or per-process, -I) id could never be resumed,
            // and one that never expires would stay on the broker for ever.
            if (r.GetValue(common.Id) is null && (persistent || expiry == uint.MaxValue))
            {
                r.AddError(persistent
                    ? "-c needs a client id (-i): the session is found again by it"
                    : "-x -1 (a session that never expires) needs a client id (-i)");
            }
            if (expiry is not null && r.GetValue(common.Protocol) == ProtocolVersion.V311)
            {
                r.AddError("-x needs MQTT 5: 3.1.1 has no Session Expiry (with -c a 3.1.1 session lasts until a connection without -c)");
            }
        });
    }

    /// <summary>Clean Start (3.1.1: Clean Session) 0 with -c, and the Session Expiry Interval: -x, else never with -c, else 0.</summary>
    public void ApplyTo(ParseResult result, MqttClientOptions options)
    {
        bool persistent = result.GetValue(Persistent);
        options.CleanStart = !persistent;
        options.SessionExpiryInterval = result.GetValue(SessionExpiry) ?? (persistent ? uint.MaxValue : 0);
    }
}
