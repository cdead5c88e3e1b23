namespace Mqtt.Client;

/// <summary>
/// One enhanced authentication method (MQTT 5 section 4.12), such as SCRAM-SHA-256: the data of the CONNECT,
/// a step for each AUTH with Continue authentication (0x18), and a final check of the server's data so that
/// the server proves itself too. The same handler drives re-authentication (AUTH 0x19).
/// </summary>
public interface IEnhancedAuthenticationHandler
{
    /// <summary>The Authentication Method, e.g. <c>SCRAM-SHA-256</c>.</summary>
    string Method { get; }

    /// <summary>The Authentication Data of the CONNECT (or of the AUTH 0x19 that starts a re-authentication); null to send none.</summary>
    /// <param name="reauthentication">True when starting a re-authentication on an open connection.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken);

    /// <summary>Answers the server's AUTH 0x18: returns the Authentication Data of the client's AUTH 0x18.</summary>
    /// <param name="serverData">The server's Authentication Data, if it sent any.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken);

    /// <summary>
    /// Checks the server's final data (of the successful CONNACK, or of the AUTH 0x00 ending a re-authentication).
    /// Return false when the server failed to prove itself: the client then disconnects.
    /// </summary>
    /// <param name="serverData">The server's Authentication Data, if it sent any.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken);
}
