using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// The envelope format, version 2 (docs/e2e.md has it byte by byte). Every envelope:
/// magic "E2" (2), version (1), flags (1), session id (16), sequence number (8, big-endian);
/// when flag <see cref="SessionStartFlag"/> is set, the session start: sender agreement key id (8),
/// recipient agreement key id (8), session start time (8, Unix milliseconds), HPKE enc (65);
/// then ciphertext and the 16-byte AES-256-GCM tag. Every header field is bound without associated data:
/// by the parser, the session's key schedule, the nonce or the receiver's record of the session start.
/// </summary>
public static class E2eEnvelope
{
    /// <summary>The version this implementation writes and reads.</summary>
    public const byte CurrentVersion = 2;

    /// <summary>Flag bit: the session start block (key ids, start time, enc) follows the sequence number.</summary>
    public const byte SessionStartFlag = 0x01;

    /// <summary>Bytes in a session id.</summary>
    public const int SessionIdSize = 16;

    /// <summary>Bytes of header in every envelope: magic, version, flags, session id, sequence number.</summary>
    public const int HeaderSize = 2 + 1 + 1 + SessionIdSize + sizeof(ulong);

    /// <summary>Bytes of the session start block: two key ids, start time, enc.</summary>
    public const int SessionStartSize = KeyAnnouncement.KeyIdSize + KeyAnnouncement.KeyIdSize + sizeof(long) + DhkemP256.EncapsulatedKeySize;

    /// <summary>Bytes of the AEAD tag at the end of every envelope.</summary>
    public const int TagSize = HpkeSuite.TagSize;

    /// <summary>The largest envelope overhead (header, session start and tag): 133 bytes.</summary>
    public const int MaxOverhead = HeaderSize + SessionStartSize + TagSize;

    /// <summary>The smallest well-formed envelope (empty message, no session start): 44 bytes.</summary>
    public const int MinLength = HeaderSize + TagSize;

    /// <summary>Bytes of flags the format defines; the others must be zero.</summary>
    internal const byte KnownFlags = SessionStartFlag;

    /// <summary>"E2", the first two bytes of every envelope.</summary>
    public static ReadOnlySpan<byte> Magic => "E2"u8;

    /// <summary>An upper bound on the plaintext an envelope can carry: size a receive buffer with it.</summary>
    /// <param name="envelopeLength">The envelope's length.</param>
    /// <returns>envelopeLength - 44, or 0.</returns>
    public static int GetMaxPlaintextLength(int envelopeLength) => Math.Max(0, envelopeLength - MinLength);

    /// <summary>The largest envelope a message of <paramref name="plaintextLength"/> bytes can seal to (with a session start).</summary>
    /// <param name="plaintextLength">The message length.</param>
    /// <returns>plaintextLength + 133.</returns>
    public static int GetMaxEnvelopeLength(int plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        return checked(plaintextLength + MaxOverhead);
    }
}
