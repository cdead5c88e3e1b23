namespace Mqtt.Broker;

/// <summary>Checks CONNECT's User Name and Password (the plain method, and all that MQTT 3.1.1 has).</summary>
public interface IPasswordAuthenticator
{
    /// <summary>Decides on a plain login; <paramref name="password"/> is null when CONNECT had none.</summary>
    ValueTask<AuthenticationResult> AuthenticateAsync(ClientInfo client, string? userName, ReadOnlyMemory<byte>? password, CancellationToken cancellationToken);
}
