using System.Text;
using MQTTnet.Protocol;
using MQTTnet.Server;
using MQTTnet.Server.EnhancedAuthentication;
using Mqtt.Security.Scram;

namespace Mqtt.MqttnetServer;

/// <summary>
/// SCRAM-SHA-256 for one user through MQTTnet's enhanced authentication exchange, with our ScramServer doing the
/// server side: CONNECT carries the client-first-message, one AUTH round trip the server-first and client-final
/// messages, and CONNACK the server-final-message (docs/scram.md). Clients without an Authentication Method stay
/// anonymous and are accepted.
/// </summary>
/// <remarks>
/// The verifier is derived once, at construction, so a login costs what it costs our broker: the PBKDF2 work is the
/// client's. Unlike our broker there is no credential store, no decoy for unknown names and no lockout: this host
/// exists to be measured.
/// </remarks>
public sealed class ScramLogin
{
    private readonly string _userName;
    private readonly ScramVerifier _verifier;

    /// <summary>Derives the verifier of <paramref name="userName"/> from <paramref name="password"/>.</summary>
    /// <param name="userName">The one user accepted.</param>
    /// <param name="password">Its password.</param>
    /// <param name="iterationCount">PBKDF2 iterations; our broker's default unless told.</param>
    public ScramLogin(string userName, string password, int iterationCount = ScramVerifier.DefaultIterationCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        _userName = userName;
        _verifier = ScramVerifier.Derive(ScramMechanism.Sha256, password, iterationCount);
    }

    /// <summary>The ValidatingConnectionAsync handler.</summary>
    /// <param name="args">The CONNECT being validated.</param>
    /// <returns>When the CONNACK's reason code is decided.</returns>
    public async Task ValidateAsync(ValidatingConnectionEventArgs args)
    {
        if (args.AuthenticationMethod is null)
        {
            return;
        }

        if (args.AuthenticationMethod != ScramMechanism.Sha256.Name)
        {
            args.ReasonCode = MqttConnectReasonCode.BadAuthenticationMethod;
            return;
        }

        var server = new ScramServer(ScramMechanism.Sha256);
        if (!server.TryReceiveClientFirst(args.AuthenticationData, out _)
            || server.UserName != _userName
            || (args.UserName is not null && args.UserName != _userName))
        {
            args.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }

        byte[] serverFirst = Encoding.UTF8.GetBytes(server.CreateServerFirstMessage(_verifier));
        ExchangeEnhancedAuthenticationResult answer = await args.ExchangeEnhancedAuthenticationAsync(
            new ExchangeEnhancedAuthenticationOptions { AuthenticationData = serverFirst }, args.CancellationToken);
        if (!server.TryCreateServerFinalMessage(answer.AuthenticationData, out string? serverFinal, out _))
        {
            args.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }

        args.ResponseAuthenticationData = Encoding.UTF8.GetBytes(serverFinal);
    }
}
