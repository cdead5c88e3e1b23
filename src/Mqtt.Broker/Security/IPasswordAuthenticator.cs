namespace Mqtt.Broker;

/// <summary>Checks CONNECT's User Name and Password (the plain method, and all that MQTT 3.1.1 has).</summary>
public interface IPasswordAuthenticator
{
    /// <summary>Decides on a plain login; <paramref name="password"/> is null when CONNECT had none.</summary>
    ValueTask<AuthenticationResult> AuthenticateAsync(ClientInfo client, string? userName, ReadOnlyMemory<byte>? password, CancellationToken cancellationToken);

    /// <summary>
    /// Registers <paramref name="userName"/> with <paramref name="password"/>, asked for by a CONNECT with the User
    /// Property <c>register</c> = <c>true</c> (docs/security.md). Success logs the client in as the new user.
    /// By default registration this way is not offered (0x87).
    /// </summary>
    ValueTask<AuthenticationResult> RegisterAsync(ClientInfo client, string? userName, ReadOnlyMemory<byte>? password, CancellationToken cancellationToken) =>
        new(AuthenticationResult.Fail(Mqtt.Codec.ReasonCode.NotAuthorized));
}
