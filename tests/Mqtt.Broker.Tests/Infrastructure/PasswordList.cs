namespace Mqtt.Broker.Tests;

/// <summary>Accepts user "alice" with password "secret"; refuses everyone else with 0x86.</summary>
internal sealed class PasswordList : IPasswordAuthenticator
{
    public ReasonCode FailWith { get; init; } = ReasonCode.BadUserNameOrPassword;

    public ValueTask<AuthenticationResult> AuthenticateAsync(ClientInfo client, string? userName, ReadOnlyMemory<byte>? password, CancellationToken cancellationToken) =>
        new(userName == "alice" && password is { } p && p.Span.SequenceEqual("secret"u8)
            ? AuthenticationResult.Succeed(userName)
            : AuthenticationResult.Fail(FailWith));
}
