using System.Text;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Broker;

/// <summary>
/// SCRAM-SHA-256 or SCRAM-SHA-512 over the MQTT 5 AUTH exchange (SECURITY.md section 1, docs/scram.md):
/// CONNECT (or AUTH 0x19) carries the client-first-message, AUTH 0x18 the server-first and client-final
/// messages, and CONNACK 0x00 (or AUTH 0x00) the server-final-message. Failures answer 0x86, the same for an
/// unknown user (a decoy verifier with a salt stable per name) as for a wrong password; a locked-out name or
/// address gets 0x9F Connection rate exceeded.
/// </summary>
public sealed class ScramAuthenticator : IEnhancedAuthenticator
{
    private readonly ScramMechanism _mechanism;
    private readonly BrokerSecurity _security;

    internal ScramAuthenticator(ScramMechanism mechanism, BrokerSecurity security)
    {
        _mechanism = mechanism;
        _security = security;
    }

    /// <inheritdoc/>
    public string Method => _mechanism.Name;

    /// <inheritdoc/>
    public IAuthenticationExchange Start(ClientInfo client, string? userName) => new Exchange(this, client, userName);

    private sealed class Exchange(ScramAuthenticator owner, ClientInfo client, string? connectUserName) : IAuthenticationExchange
    {
        private readonly ScramServer _server = new(owner._mechanism);
        private int _step;
        private UserCredentials? _entry;

        public string? ClaimedUserName => _server.UserName;

        public async ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
        {
            BrokerSecurity security = owner._security;
            switch (_step++)
            {
                case 0:
                    if (!_server.TryReceiveClientFirst(clientData.Span, out ScramException? firstError))
                    {
                        return await security.RefuseAsync("login", null, client, owner.Method, "malformed client-first-message: " + firstError.Error, ReasonCode.BadUserNameOrPassword, cancellationToken);
                    }

                    string name = _server.UserName!;
                    if (connectUserName is not null && !string.Equals(connectUserName, name, StringComparison.Ordinal))
                    {
                        return await security.RefuseAsync("login", name, client, owner.Method, "CONNECT User Name differs from the SCRAM name", ReasonCode.BadUserNameOrPassword, cancellationToken);
                    }

                    if (security.Throttle.IsLockedOut(name, client.RemoteEndPoint?.Address))
                    {
                        return await security.LockedOutAsync("login", name, client, owner.Method, cancellationToken);
                    }

                    // The decoy is made for every name, known or not, so the time to the server-first does not tell
                    // them apart; unknown, invalid or SHA-512-less names then go on with it: same messages, same work.
                    ScramVerifier decoy = security.CreateDecoy(owner._mechanism, name);
                    ScramVerifier? verifier = security.Credentials.TryGet(name, out UserCredentials? credentials)
                        ? credentials.GetVerifier(owner._mechanism)
                        : null;
                    _entry = verifier is null ? null : credentials;
                    return AuthenticationResult.Continue(Encoding.UTF8.GetBytes(_server.CreateServerFirstMessage(verifier ?? decoy)));
                case 1:
                    // Checked again: guesses running in parallel may have locked the name out since step 0.
                    if (security.Throttle.IsLockedOut(_server.UserName, client.RemoteEndPoint?.Address))
                    {
                        return await security.LockedOutAsync("login", _server.UserName, client, owner.Method, cancellationToken);
                    }

                    if (_server.TryCreateServerFinalMessage(clientData.Span, out string? serverFinal, out ScramException? finalError))
                    {
                        security.Throttle.RecordSuccess(_server.UserName!, client.RemoteEndPoint?.Address);
                        AuthAudit.Write(security.Logger, "login", true, _server.UserName, client, owner.Method, "proof verified");
                        // Only a known user's verifier can be proved: decoys come from a key nobody else has.
                        return AuthenticationResult.SucceedFromStore(_entry!, Encoding.UTF8.GetBytes(serverFinal));
                    }

                    string why = finalError.Error switch
                    {
                        ScramError.InvalidProof => _entry is not null ? "wrong password" : "unknown user",
                        ScramError.InvalidNonce => "stale or replayed client-final-message (nonce)",
                        _ => "malformed client-final-message: " + finalError.Error,
                    };
                    return await security.RefuseAsync("login", _server.UserName, client, owner.Method, why, ReasonCode.BadUserNameOrPassword, cancellationToken);
                default:
                    AuthAudit.Write(security.Logger, "login", false, _server.UserName, client, owner.Method, "AUTH after the exchange ended");
                    return AuthenticationResult.Fail(ReasonCode.ProtocolError);
            }
        }
    }
}
