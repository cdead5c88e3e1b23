namespace Mqtt.Security.Scram;

/// <summary>A SCRAM exchange failed; <see cref="Error"/> says why.</summary>
/// <remarks>
/// Messages never echo attacker-chosen text (except a short, validated <c>e=</c> value), so they are safe to log.
/// </remarks>
public sealed class ScramException : Exception
{
    /// <summary>Creates an exception for <paramref name="error"/> with a human-readable <paramref name="message"/>.</summary>
    /// <param name="error">Why the exchange failed.</param>
    /// <param name="message">What was wrong, for logs.</param>
    public ScramException(ScramError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Why the exchange failed.</summary>
    public ScramError Error { get; }
}
