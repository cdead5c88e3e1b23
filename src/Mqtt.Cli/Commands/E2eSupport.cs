using System.CommandLine;
using Mqtt.Client;
using Mqtt.Client.EndToEnd;
using Mqtt.Security;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Cli.Commands;

/// <summary>What `send`, `recv`, `chat` and `keys` share: the --keys option, key store opening, E2E error reporting.</summary>
public static class E2eSupport
{
    /// <summary>How long a command waits for the user's own retained announcement before (re)publishing it.</summary>
    public static readonly TimeSpan OwnAnnouncementWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Largest packet the end-to-end commands take from the broker, which they do not trust (SECURITY.md section 5): 1 MiB,
    /// our broker's default maximum, told to the broker in CONNECT. With at most <see cref="MessageQueueCapacity"/>
    /// messages waiting for the command, a hostile broker cannot make it hold more than about 100 MiB (a 250 MB PUBLISH
    /// took `recv` to 1 GB before).
    /// </summary>
    public const int MaximumPacketSize = 1024 * 1024;

    /// <summary>Messages received and waiting for the command (the client library's default is 1,024).</summary>
    public const int MessageQueueCapacity = 100;

    /// <summary>The longest message `send` and `chat` send: its envelope, topic and header fit a peer's <see cref="MaximumPacketSize"/>.</summary>
    public const int MaximumMessageLength = MaximumPacketSize - 1024 - E2eEnvelope.MaxOverhead;

    /// <summary>Bounds what the broker may send: <see cref="MaximumPacketSize"/> and <see cref="MessageQueueCapacity"/>.</summary>
    /// <param name="options">The command's client options.</param>
    /// <returns>The same options.</returns>
    public static MqttClientOptions Bounded(MqttClientOptions options)
    {
        options.MaximumPacketSize = MaximumPacketSize;
        options.MessageQueueCapacity = MessageQueueCapacity;
        return options;
    }

    /// <summary>Whether <paramref name="message"/> is too long to send (a peer's command would never get it); says so on <paramref name="error"/>.</summary>
    /// <param name="message">The message, UTF-8.</param>
    /// <param name="error">Where to say so.</param>
    /// <returns>True when too long.</returns>
    public static bool TooLong(ReadOnlySpan<byte> message, TextWriter error)
    {
        if (message.Length <= MaximumMessageLength)
        {
            return false;
        }
        error.WriteLine($"mqttcore: message of {message.Length} bytes is too long: at most {MaximumMessageLength} (the receiving command takes packets up to 1 MiB)");
        return true;
    }

    /// <summary>Session Expiry Interval of `recv`'s persistent session: a week.</summary>
    public const uint RecvSessionExpirySeconds = 7 * 24 * 3600;

    /// <summary>The default key store root, ~/.mqttcore/keys.</summary>
    public static string DefaultKeysDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mqttcore", "keys");

    /// <summary>A new `--keys DIR` option.</summary>
    /// <returns>The option.</returns>
    public static Option<string> CreateKeysOption() =>
        new("--keys") { Description = "E2E key store folder", DefaultValueFactory = _ => DefaultKeysDirectory };

    /// <summary>Why <paramref name="name"/> cannot be an end-to-end user (it becomes a topic level, NAME/pubKey), or null when it can.</summary>
    /// <param name="name">The name given, or null when none was.</param>
    /// <param name="what">What the name is, e.g. "--to".</param>
    /// <returns>The message, or null.</returns>
    public static string? InvalidUserName(string? name, string what) =>
        name is null || UserName.IsValid(name)
            ? null
            : $"{what} '{name}' is not a valid user name: 1..64 characters, no '/', '+', '#' or control characters, not starting with '$'";

    /// <summary>Adds a usage error to <paramref name="result"/> for each name that cannot be an end-to-end user.</summary>
    /// <param name="result">The command being parsed.</param>
    /// <param name="names">Each name given (null when none was) and the option it came from.</param>
    public static void RequireUserNames(System.CommandLine.Parsing.CommandResult result, params (string? Name, string What)[] names)
    {
        foreach ((string? name, string what) in names)
        {
            if (InvalidUserName(name, what) is string message)
            {
                result.AddError(message);
            }
        }
    }

    /// <summary>Writes an end-to-end failure to stderr (both fingerprints for a changed key) and returns exit code 4.</summary>
    /// <param name="e">The failure.</param>
    /// <param name="error">stderr.</param>
    /// <returns><see cref="ExitCodes.EndToEndCheckFailed"/>.</returns>
    public static int Fail(E2eException e, TextWriter error)
    {
        if (e.Error == E2eError.ChangedKey)
        {
            // Both ways out: the offered key may be an attacker's, and the broker may already serve the pinned key again.
            error.WriteLine($"error: the key of {e.User} CHANGED: pinned {e.PinnedFingerprint}, offered {e.OfferedFingerprint}.");
            error.WriteLine($"  Someone (the broker?) may be substituting keys. Compare with {e.User} out of band, then either");
            error.WriteLine($"    accept the new key:     mqttcore keys trust {e.User} {e.OfferedFingerprint?.ToCompactString()}");
            error.WriteLine($"    or keep the pinned one: mqttcore keys trust {e.User} {e.PinnedFingerprint?.ToCompactString()}");
        }
        else if (e.Error is E2eError.InsecureKeyFile or E2eError.CorruptKeyFile)
        {
            // The user's own files, not a check on a peer or a message (CLI.md's 4): a local set-up error, as bad usage.
            error.WriteLine($"mqttcore: {e.Message}");
            return ExitCodes.Usage;
        }
        else
        {
            error.WriteLine($"error: end-to-end check failed: {e.Message}");
        }
        return ExitCodes.EndToEndCheckFailed;
    }

    /// <summary>Tells the user what trust-on-first-use did with a peer's key.</summary>
    /// <param name="result">The trust result.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="trust">The trust store.</param>
    /// <param name="writer">Where to write.</param>
    public static void Report(TrustResult result, string peer, TrustStore trust, TextWriter writer)
    {
        if (Notice(result, peer, trust) is string notice)
        {
            writer.WriteLine(notice);
        }
    }

    /// <summary>The notice line for a first contact (with the fingerprint to compare) or a rotated key; null otherwise.</summary>
    /// <param name="result">What the trust store made of the announcement.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="trust">The pins.</param>
    /// <returns>The line, or null.</returns>
    public static string? Notice(TrustResult result, string peer, TrustStore trust)
    {
        if (!trust.TryGetPeer(peer, out TrustedPeer? pinned))
        {
            return null;
        }
        return result switch
        {
            TrustResult.FirstUse => $"notice: first contact with {peer}: pinned key {pinned.Fingerprint}; compare it with {peer} out of band (mqttcore keys show).",
            TrustResult.Rotated => $"notice: {peer} rotated their agreement key (same identity {pinned.Fingerprint}).",
            _ => null,
        };
    }

    /// <summary>Writes a duplicate or failure result as a warning line.</summary>
    /// <param name="message">The result.</param>
    /// <param name="writer">Where to write.</param>
    public static void Warn(EndToEndMessage message, TextWriter writer)
    {
        writer.WriteLine(message.Kind == EndToEndMessageKind.Duplicate
            ? $"warning: discarded a duplicate message from {message.Sender}: {message.Description}"
            : $"error: message from {message.Sender} on {message.Topic} REFUSED, not shown: {message.Description}");
    }

    /// <summary>Maps a client or E2E failure to its exit code.</summary>
    /// <param name="e">The failure.</param>
    /// <param name="error">stderr.</param>
    /// <returns>The exit code.</returns>
    public static int Fail(Exception e, TextWriter error)
    {
        switch (e)
        {
            case E2eException e2e:
                return Fail(e2e, error);
            // A refusal; not a server DISCONNECT (0x8B shutting down, 0x8E taken over): that is a connection lost, 5.
            case MqttException { ReasonCode: { } code } refused
                when refused is not (MqttConnectException or MqttTransportException or MqttConnectionLostException) && (byte)code >= 0x80:
                error.WriteLine($"refused: {MqttReasonCodeText.Format(code)} ({refused.Message})");
                return ExitCodes.Refused;
            default:
                return ClientOptionSet.Fail(e, error);
        }
    }

    /// <summary>
    /// What a PUBACK 0x10 (No matching subscribers) means for a sealed message: delivered as asked, to nobody, since the
    /// peer's session for the sender's messages is made by its first `recv --from SENDER` (or chat's agreekey).
    /// </summary>
    public static string NobodyListens(string user, string peer) =>
        $"the broker has no subscriber on {EndToEndChannel.MessagesTopic(user, peer)}: {peer} has not run `recv --from {user}` "
        + $"(or chat's `agreekey {user}`) on this broker yet, so nobody will get this message";

    /// <summary>Opens the user's key store, creating the identity on first use.</summary>
    /// <param name="root">The --keys folder.</param>
    /// <param name="user">The user.</param>
    /// <param name="trust">The user's pins.</param>
    /// <param name="store">The store.</param>
    /// <returns>The identity (dispose it).</returns>
    public static E2eIdentity OpenIdentity(string root, string user, out TrustStore trust, out KeyStore store)
    {
        store = KeyStore.Open(root, user);
        E2eIdentity identity = store.LoadOrCreateIdentity();
        trust = store.OpenTrustStore();
        return identity;
    }
}
