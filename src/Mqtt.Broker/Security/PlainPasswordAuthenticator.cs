using System.Text;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Broker;

/// <summary>
/// CONNECT User Name and Password (MQTT 3.1.1, and MQTT 5 without a method) checked against the same SCRAM
/// verifiers, where the <see cref="PlainPasswordPolicy"/> allows it; elsewhere 0x87 Not authorized. Unknown users
/// are checked against a decoy at the same PBKDF2 cost. Also registers a user from CONNECT when the client asks
/// with the User Property <c>register</c> = <c>true</c> (third-party MQTT 5 clients; docs/security.md).
/// </summary>
public sealed class PlainPasswordAuthenticator : IPasswordAuthenticator
{
    private const string Method = "plain";
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private readonly BrokerSecurity _security;

    internal PlainPasswordAuthenticator(BrokerSecurity security) => _security = security;

    /// <inheritdoc/>
    public async ValueTask<AuthenticationResult> AuthenticateAsync(ClientInfo client, string? userName, ReadOnlyMemory<byte>? password, CancellationToken cancellationToken)
    {
        const string action = "login";
        if (!Allowed(client))
        {
            AuthAudit.Write(_security.Logger, action, false, userName, client, Method, $"plain passwords not allowed here (policy {_security.Options.PlainPasswords})");
            return AuthenticationResult.Fail(ReasonCode.NotAuthorized);
        }

        if (userName is null || password is null)
        {
            return await _security.RefuseAsync(action, userName, client, Method, "user name or password missing", ReasonCode.BadUserNameOrPassword, cancellationToken);
        }

        if (_security.Throttle.IsLockedOut(userName, client.RemoteEndPoint?.Address))
        {
            return await _security.LockedOutAsync(action, userName, client, Method, cancellationToken);
        }

        ScramVerifier? verifier = null;
        if (_security.Credentials.TryGet(userName, out UserCredentials? credentials))
        {
            verifier = credentials.GetVerifier(ScramMechanism.Sha256) ?? credentials.Verifiers[0];
        }

        bool known = verifier is not null;

        // An unknown name costs the same PBKDF2 as a known one, against a decoy (SECURITY.md section 3).
        verifier ??= _security.CreateDecoy(ScramMechanism.Sha256, userName);
        if (await VerifyPasswordOnThreadPoolAsync(verifier, password.Value) && known)
        {
            _security.Throttle.RecordSuccess(userName, client.RemoteEndPoint?.Address);
            AuthAudit.Write(_security.Logger, action, true, userName, client, Method, "password verified");
            return AuthenticationResult.SucceedFromStore(credentials!);
        }

        return await _security.RefuseAsync(action, userName, client, Method, known ? "wrong password" : "unknown user", ReasonCode.BadUserNameOrPassword, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<AuthenticationResult> RegisterAsync(ClientInfo client, string? userName, ReadOnlyMemory<byte>? password, CancellationToken cancellationToken)
    {
        const string action = AuthAudit.RegisterAction;
        if (_security.Options.Registration == RegistrationPolicy.Closed || !Allowed(client))
        {
            AuthAudit.Write(_security.Logger, action, false, userName, client, Method, "registration closed or plain passwords not allowed here");
            return AuthenticationResult.Fail(ReasonCode.NotAuthorized);
        }

        if (_security.Throttle.IsLockedOut(null, client.RemoteEndPoint?.Address))
        {
            return await _security.LockedOutAsync(action, userName, client, Method, cancellationToken);
        }

        string? text = null;
        try
        {
            text = password is { Length: > 0 } p ? StrictUtf8.GetString(p.Span) : null;
        }
        catch (DecoderFallbackException)
        {
        }

        if (!Mqtt.Security.UserName.IsValidForNewUser(userName) || text is null)
        {
            return await _security.RefuseAsync(action, userName, client, Method, "invalid name, or password missing or not UTF-8", ReasonCode.BadUserNameOrPassword, cancellationToken, countName: false);
        }

        if (await _security.RefuseOverRegistrationLimitsAsync(userName, client, Method, cancellationToken) is AuthenticationResult refused)
        {
            return refused;
        }

        int iterations = _security.Options.IterationCount;
        UserCredentials credentials = await Task.Run(() => UserCredentials.Derive(userName, text, iterations)); // milliseconds: off the socket thread (see VerifyPasswordOnThreadPoolAsync)
        return await _security.StoreNewUserAsync(credentials, client, Method, cancellationToken);
    }

    private bool Allowed(ClientInfo client) => _security.Options.PlainPasswords switch
    {
        PlainPasswordPolicy.Always => true,
        PlainPasswordPolicy.Tls => client.IsTls,
        _ => false,
    };

    /// <summary>
    /// Checks a password against a verifier on the thread pool: the derivation takes milliseconds, and the CONNECT may
    /// have been handled on a socket engine thread (inline completions), whose other connections would wait for it.
    /// </summary>
    private static Task<bool> VerifyPasswordOnThreadPoolAsync(ScramVerifier verifier, ReadOnlyMemory<byte> password)
        => Task.Run(() => verifier.VerifyPassword(password.Span));
}
