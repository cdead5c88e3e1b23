namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Why an end-to-end operation refused its input (SECURITY.md section 5). Opening a message returns
/// one of these instead of throwing; key announcements, the key store and the trust store throw an
/// <see cref="E2eException"/> carrying one.
/// </summary>
public enum E2eError
{
    /// <summary>Success: the message was opened.</summary>
    None = 0,

    /// <summary>The bytes end before the structure they announce is complete.</summary>
    Truncated,

    /// <summary>The bytes are not a well-formed envelope or announcement: wrong magic, reserved flag bits, trailing bytes, an invalid point.</summary>
    Malformed,

    /// <summary>The version byte names a format this implementation does not read.</summary>
    UnsupportedVersion,

    /// <summary>The AEAD refused the message: ciphertext, tag, header, topic, sender or recipient differ from what was sealed.</summary>
    Tampered,

    /// <summary>
    /// The message was already accepted once: a replay or a QoS 1 redelivery (they look alike). Discard it and
    /// report it; the session stays usable.
    /// </summary>
    Duplicate,

    /// <summary>
    /// The message is older than the replay window (or its session was already closed and erased), so the
    /// receiver can no longer tell whether it was seen; it is refused.
    /// </summary>
    ReorderedBeyondWindow,

    /// <summary>The message was sealed to a key-agreement key this recipient does not hold: it is for someone else.</summary>
    WrongRecipient,

    /// <summary>The message belongs to a session the receiver has not opened and carries no session start to open it from.</summary>
    UnknownSession,

    /// <summary>The sender (or recipient) has no trusted announcement with the key the message names: fetch the announcement and pin it.</summary>
    UnknownKey,

    /// <summary>The peer's identity key differs from the pinned one; refused until the user accepts the new fingerprint.</summary>
    ChangedKey,

    /// <summary>A key announcement's signature does not verify under the identity key it carries.</summary>
    BadSignature,

    /// <summary>A key announcement names another user than the one it was fetched for.</summary>
    UserMismatch,

    /// <summary>The caller's plaintext buffer is shorter than the ciphertext the envelope carries.</summary>
    DestinationTooSmall,

    /// <summary>A key store or trust store file is readable or writable by other users (mode is not 0600).</summary>
    InsecureKeyFile,

    /// <summary>A key store or trust store file cannot be read back as what it should hold.</summary>
    CorruptKeyFile,
}
