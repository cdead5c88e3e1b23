namespace Mqtt.Broker;

/// <summary>
/// An enhanced authentication method (MQTT 5 section 4.12), registered by its Authentication Method name.
/// Each CONNECT or re-authentication starts a fresh exchange.
/// </summary>
public interface IEnhancedAuthenticator
{
    /// <summary>The Authentication Method this serves, e.g. "SCRAM-SHA-256".</summary>
    string Method { get; }

    /// <summary>Starts an exchange for a client; <paramref name="userName"/> is CONNECT's User Name, if any.</summary>
    IAuthenticationExchange Start(ClientInfo client, string? userName);

    /// <summary>
    /// False for a method that cannot re-authenticate a connection (a registration: the user exists by then): AUTH 0x19
    /// with it is answered DISCONNECT 0x87 before any exchange starts.
    /// </summary>
    bool CanReauthenticate => true;
}

/// <summary>One run of an enhanced authentication method.</summary>
public interface IAuthenticationExchange
{
    /// <summary>Takes the client's Authentication Data (from CONNECT, then each AUTH) and decides the next step.</summary>
    ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken);

    /// <summary>
    /// The user name the client has claimed so far (SCRAM's <c>n=</c>), or null: the audit line of an exchange the client
    /// abandons or lets time out names it, as every other outcome does (SECURITY.md section 3).
    /// </summary>
    string? ClaimedUserName => null;

    /// <summary>The audit lines' action for this exchange's outcomes: "login", or "register" for a registration.</summary>
    string AuditAction => AuthAudit.LoginAction;
}
