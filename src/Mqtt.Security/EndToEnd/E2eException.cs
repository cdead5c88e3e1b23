using System.Security.Cryptography;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Thrown by key announcements, the key store, the trust store and the throwing <c>Open</c> overloads.
/// Hostile bytes only ever raise this type; caller mistakes (null, disposed objects) raise the usual argument exceptions.
/// </summary>
public sealed class E2eException : CryptographicException
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">What was refused.</param>
    public E2eException(E2eError error)
        : base(Describe(error))
    {
        Error = error;
    }

    /// <summary>Creates an exception for <paramref name="error"/> with a specific message.</summary>
    /// <param name="error">What was refused.</param>
    /// <param name="message">The message shown to the user.</param>
    public E2eException(E2eError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Creates an exception for <paramref name="error"/> caused by another exception.</summary>
    /// <param name="error">What was refused.</param>
    /// <param name="message">The message shown to the user.</param>
    /// <param name="innerException">The cause.</param>
    public E2eException(E2eError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What was refused.</summary>
    public E2eError Error { get; }

    /// <summary>For <see cref="E2eError.ChangedKey"/>: the peer whose key changed.</summary>
    public string? User { get; init; }

    /// <summary>For <see cref="E2eError.ChangedKey"/>: the fingerprint pinned for <see cref="User"/>.</summary>
    public Fingerprint? PinnedFingerprint { get; init; }

    /// <summary>For <see cref="E2eError.ChangedKey"/>: the fingerprint of the refused announcement.</summary>
    public Fingerprint? OfferedFingerprint { get; init; }

    /// <summary>A one-line English description of <paramref name="error"/>, for logs and the CLI.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The description.</returns>
    public static string Describe(E2eError error) => error switch
    {
        E2eError.None => "no error",
        E2eError.Truncated => "truncated: the bytes end early",
        E2eError.Malformed => "malformed: not a valid envelope or announcement",
        E2eError.UnsupportedVersion => "unsupported version",
        E2eError.Tampered => "tampered: authentication failed (ciphertext, topic, sender or recipient changed)",
        E2eError.Duplicate => "duplicate: already accepted (a replay, a redelivery, or a copy another recv or chat of this user showed)",
        E2eError.ReorderedBeyondWindow => "too old: outside the replay window or its session was closed",
        E2eError.WrongRecipient => "wrong recipient: sealed to a key this user does not hold",
        E2eError.UnknownSession => "unknown session: no session start seen yet",
        E2eError.UnknownKey => "unknown key: no trusted announcement holds the key used",
        E2eError.ChangedKey => "changed key: the peer's identity key differs from the pinned one",
        E2eError.BadSignature => "bad signature on the key announcement",
        E2eError.UserMismatch => "the key announcement names another user",
        E2eError.DestinationTooSmall => "the plaintext buffer is too small",
        E2eError.InsecureKeyFile => "a key file is accessible to other users (expected mode 0600)",
        E2eError.CorruptKeyFile => "a key file is corrupt",
        _ => "end-to-end check failed",
    };
}
