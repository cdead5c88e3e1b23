using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Broker;

/// <summary>
/// The <c>MQTTCORE-REGISTER</c> method (docs/security.md): CONNECT's Authentication Data carries a user name and
/// the SCRAM verifiers the client derived itself; the broker stores them if the name is free and answers CONNACK
/// 0x00, the connection then being logged in as the new user. A taken or invalid name, or malformed data,
/// answers 0x86; closed registration 0x87. It is its own method, never a fallback of a failed login.
/// </summary>
public sealed class ScramRegistrationAuthenticator : IEnhancedAuthenticator
{
    private readonly BrokerSecurity _security;

    internal ScramRegistrationAuthenticator(BrokerSecurity security) => _security = security;

    /// <inheritdoc/>
    public string Method => ScramRegistration.Method;

    /// <inheritdoc/>
    public IAuthenticationExchange Start(ClientInfo client, string? userName) => new Exchange(this, client, userName);

    private sealed class Exchange(ScramRegistrationAuthenticator owner, ClientInfo client, string? connectUserName) : IAuthenticationExchange
    {
        private bool _done;

        public async ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
        {
            BrokerSecurity security = owner._security;
            const string action = "register";
            if (_done)
            {
                AuthAudit.Write(security.Logger, action, false, null, client, owner.Method, "AUTH after the exchange ended");
                return AuthenticationResult.Fail(ReasonCode.ProtocolError);
            }

            _done = true;
            if (security.Options.Registration == RegistrationPolicy.Closed)
            {
                AuthAudit.Write(security.Logger, action, false, connectUserName, client, owner.Method, "registration is closed");
                return AuthenticationResult.Fail(ReasonCode.NotAuthorized);
            }

            if (security.Throttle.IsLockedOut(null, client.RemoteEndPoint?.Address))
            {
                return await security.LockedOutAsync(action, connectUserName, client, owner.Method, cancellationToken);
            }

            if (!ScramRegistration.TryDecode(clientData.Span, out UserCredentials? credentials, out string? problem))
            {
                return await security.RefuseAsync(action, connectUserName, client, owner.Method, problem, ReasonCode.BadUserNameOrPassword, cancellationToken, countName: false);
            }

            if (connectUserName is not null && !string.Equals(connectUserName, credentials.Name, StringComparison.Ordinal))
            {
                return await security.RefuseAsync(action, credentials.Name, client, owner.Method, "CONNECT User Name differs from the registered name", ReasonCode.BadUserNameOrPassword, cancellationToken, countName: false);
            }

            foreach (ScramVerifier verifier in credentials.Verifiers)
            {
                if (verifier.IterationCount > security.Options.MaximumRegistrationIterations)
                {
                    return await security.RefuseAsync(action, credentials.Name, client, owner.Method, "iteration count above the broker's maximum", ReasonCode.BadUserNameOrPassword, cancellationToken, countName: false);
                }
            }

            return await security.StoreNewUserAsync(credentials, client, owner.Method, cancellationToken);
        }
    }
}
