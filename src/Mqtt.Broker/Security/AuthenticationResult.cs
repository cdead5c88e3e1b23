using Mqtt.Codec;
using Mqtt.Security.Credentials;

namespace Mqtt.Broker;

/// <summary>What one step of authentication decided.</summary>
public enum AuthenticationStatus
{
    /// <summary>Send <see cref="AuthenticationResult.Data"/> in AUTH 0x18 and wait for the client's answer.</summary>
    Continue,
    /// <summary>The client is authenticated; <see cref="AuthenticationResult.Data"/> goes in CONNACK (or AUTH 0x00).</summary>
    Success,
    /// <summary>Refused with <see cref="AuthenticationResult.ReasonCode"/>.</summary>
    Failure,
}

/// <summary>The outcome of one authentication step.</summary>
/// <param name="Status">Continue, success or failure.</param>
/// <param name="Data">Authentication Data for the client, if any.</param>
/// <param name="ReasonCode">On failure: 0x86 Bad User Name or Password, 0x87 Not authorized, ...</param>
/// <param name="UserName">On success: the authenticated user name.</param>
public readonly record struct AuthenticationResult(AuthenticationStatus Status, ReadOnlyMemory<byte> Data, ReasonCode ReasonCode, string? UserName)
{
    /// <summary>Another round: send <paramref name="data"/> in AUTH 0x18.</summary>
    public static AuthenticationResult Continue(ReadOnlyMemory<byte> data) => new(AuthenticationStatus.Continue, data, ReasonCode.ContinueAuthentication, null);

    /// <summary>Authenticated as <paramref name="userName"/>, with optional final data.</summary>
    public static AuthenticationResult Succeed(string? userName, ReadOnlyMemory<byte> data = default) => new(AuthenticationStatus.Success, data, ReasonCode.Success, userName);

    /// <summary>
    /// The entry of <see cref="BrokerOptions.CredentialStore"/> the client proved itself against: the session is attached
    /// only if the store still holds that entry then, so neither a removal nor a new password (nor a removal and a new
    /// user of the same name) during a slow exchange, up to the CONNECT timeout, lets a proof of the old one through.
    /// </summary>
    internal UserCredentials? StoreEntry { get; init; }

    /// <summary>Authenticated against the credential store.</summary>
    internal bool FromCredentialStore => StoreEntry is not null;

    /// <summary>Authenticated as the user of <paramref name="entry"/>, an entry of the credential store.</summary>
    internal static AuthenticationResult SucceedFromStore(UserCredentials entry, ReadOnlyMemory<byte> data = default) =>
        Succeed(entry.Name, data) with { StoreEntry = entry };

    /// <summary>Refused with <paramref name="reasonCode"/>.</summary>
    public static AuthenticationResult Fail(ReasonCode reasonCode) => new(AuthenticationStatus.Failure, default, reasonCode, null);
}
