using Microsoft.Extensions.Logging;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Hpke;
using Mqtt.Security.Scram;

namespace Mqtt.Broker;

/// <summary>
/// The <c>MQTTCORE-REGISTER</c> method (docs/security.md): the client sends a user name and the SCRAM verifiers it
/// derived itself; the broker stores them if the name is free and answers CONNACK 0x00, the connection then being
/// logged in as the new user. A taken or invalid name, or malformed data, answers 0x86; closed registration 0x87.
/// It is its own method, never a fallback of a failed login.
/// </summary>
/// <remarks>
/// Two forms. Sealed (<see cref="SealedScramRegistration"/>): CONNECT asks for a key, AUTH 0x18 carries a fresh P-256
/// key made for this exchange only, and the client's AUTH 0x18 the registration sealed to it, so a passive listener
/// never sees the verifiers. Single step (deprecated, kept for older clients): CONNECT carries the registration in
/// clear, which with one recorded SCRAM login lets a listener log in as the user.
/// </remarks>
public sealed class ScramRegistrationAuthenticator : IEnhancedAuthenticator
{
    private const string Action = AuthAudit.RegisterAction;
    private readonly BrokerSecurity _security;

    internal ScramRegistrationAuthenticator(BrokerSecurity security) => _security = security;

    /// <inheritdoc/>
    public string Method => ScramRegistration.Method;

    /// <inheritdoc/>
    public bool CanReauthenticate => false;

    /// <inheritdoc/>
    public IAuthenticationExchange Start(ClientInfo client, string? userName) => new Exchange(this, client, userName);

    private sealed class Exchange(ScramRegistrationAuthenticator owner, ClientInfo client, string? connectUserName) : IAuthenticationExchange, IDisposable
    {
        // Held between the broker's AUTH and the client's; the connection disposes an exchange it abandons meanwhile
        // (native memory the GC does not see: a flood of abandoned exchanges must not wait for finalizers).
        private HpkePrivateKey? _sealingKey;
        private bool _done;

        private BrokerSecurity Security => owner._security;

        public string AuditAction => Action;

        public void Dispose() => Interlocked.Exchange(ref _sealingKey, null)?.Dispose();

        public async ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
        {
            if (_done)
            {
                AuthAudit.Write(Security.Logger, Action, false, null, client, owner.Method, "AUTH after the exchange ended");
                return AuthenticationResult.Fail(ReasonCode.ProtocolError);
            }

            if (Interlocked.Exchange(ref _sealingKey, null) is HpkePrivateKey key)
            {
                _done = true;
                return await OpenSealedAsync(clientData, key, cancellationToken);
            }

            // Refusals that do not depend on the data come before any key is made (the limits just below).
            if (Security.Options.Registration == RegistrationPolicy.Closed)
            {
                _done = true;
                AuthAudit.Write(Security.Logger, Action, false, connectUserName, client, owner.Method, "registration is closed");
                return AuthenticationResult.Fail(ReasonCode.NotAuthorized);
            }

            if (Security.Throttle.IsLockedOut(null, client.RemoteEndPoint?.Address))
            {
                _done = true;
                return await Security.LockedOutAsync(Action, connectUserName, client, owner.Method, cancellationToken);
            }

            if (SealedScramRegistration.IsRequest(clientData.Span))
            {
                // As the plain path, before the key pair (about 56 us) is made for a registration bound to be refused.
                if (await Security.RefuseOverRegistrationLimitsAsync(connectUserName, client, owner.Method, cancellationToken) is AuthenticationResult refused)
                {
                    _done = true;
                    return refused;
                }

                _sealingKey = DhkemP256.GenerateKeyPair();
                return AuthenticationResult.Continue(_sealingKey.PublicKey.Encoded.ToArray());
            }

            _done = true;
            if (!ScramRegistration.TryDecode(clientData.Span, out UserCredentials? credentials, out string? problem))
            {
                return await RefuseAsync(connectUserName, problem, cancellationToken);
            }

            // So that an operator can tell which clients still send their verifiers in clear before the form is dropped.
            Security.Logger.LogWarning("registration of {User} from {Remote} uses the deprecated single-step form: its verifiers crossed the network unsealed",
                AuthAudit.Safe(credentials.Name), client.RemoteEndPoint);

            return await RegisterAsync(credentials, cancellationToken);
        }

        private async ValueTask<AuthenticationResult> OpenSealedAsync(ReadOnlyMemory<byte> sealedData, HpkePrivateKey key, CancellationToken cancellationToken)
        {
            UserCredentials? credentials;
            string? problem;
            using (key)
            {
                if (!SealedScramRegistration.TryOpen(sealedData.Span, key, out credentials, out problem))
                {
                    return await RefuseAsync(connectUserName, problem, cancellationToken);
                }
            }

            // Checked again: failures from this address running in parallel may have locked it out since the key went out.
            if (Security.Throttle.IsLockedOut(null, client.RemoteEndPoint?.Address))
            {
                return await Security.LockedOutAsync(Action, credentials.Name, client, owner.Method, cancellationToken);
            }

            return await RegisterAsync(credentials, cancellationToken);
        }

        /// <summary>The checks and the store both forms share once the registration is decoded.</summary>
        private async ValueTask<AuthenticationResult> RegisterAsync(UserCredentials credentials, CancellationToken cancellationToken)
        {
            if (connectUserName is not null && !string.Equals(connectUserName, credentials.Name, StringComparison.Ordinal))
            {
                return await RefuseAsync(credentials.Name, "CONNECT User Name differs from the registered name", cancellationToken);
            }

            foreach (ScramVerifier verifier in credentials.Verifiers)
            {
                if (verifier.IterationCount > Security.Options.MaximumRegistrationIterations)
                {
                    return await RefuseAsync(credentials.Name, "iteration count above the broker's maximum", cancellationToken);
                }
            }

            return await Security.StoreNewUserAsync(credentials, client, owner.Method, cancellationToken);
        }

        /// <summary>0x86, counted against the address only (a registration guesses no password).</summary>
        private ValueTask<AuthenticationResult> RefuseAsync(string? user, string reason, CancellationToken cancellationToken) =>
            Security.RefuseAsync(Action, user, client, owner.Method, reason, ReasonCode.BadUserNameOrPassword, cancellationToken, countName: false);
    }
}
