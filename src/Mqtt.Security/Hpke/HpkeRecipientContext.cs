using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// The recipient's context (ContextR in RFC 9180 section 5.2): opens messages in the order they were
/// sealed, or at an explicit sequence number when messages may be lost or reordered.
/// </summary>
public sealed class HpkeRecipientContext : HpkeContext
{
    internal HpkeRecipientContext(HpkeSuite suite, HpkeKeySchedule schedule)
        : base(suite, schedule)
    {
    }

    /// <summary>
    /// Open(aad, ct) into a caller buffer: decrypts with the current sequence number and advances
    /// it only on success. Allocates nothing when the ciphertext is authentic.
    /// </summary>
    /// <param name="aad">The associated data the sender used.</param>
    /// <param name="ciphertextAndTag">ciphertext || tag, as received.</param>
    /// <param name="plaintext">At least ciphertextAndTag.Length - 16 bytes; receives the message.</param>
    /// <returns>Bytes written: ciphertextAndTag.Length - <see cref="HpkeSuite.TagSize"/>.</returns>
    /// <exception cref="HpkeException">
    /// <see cref="HpkeError.OpenFailed"/> for a truncated or inauthentic ciphertext (the plaintext buffer is then cleared);
    /// <see cref="HpkeError.MessageLimitReached"/> when the context is exhausted.
    /// </exception>
    public int Open(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        int length = ciphertextAndTag.Length - HpkeSuite.TagSize;
        if (length < 0)
        {
            HpkeThrow.Error(HpkeError.OpenFailed);
        }

        if (plaintext.Length < length)
        {
            HpkeThrow.DestinationTooSmall(nameof(plaintext));
        }

        Span<byte> nonce = stackalloc byte[HpkeSuite.NonceSize];
        AesGcm aead = BeginMessage(nonce);
        try
        {
            aead.Decrypt(nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext[..length], aad);
        }
        catch (CryptographicException e)
        {
            // AuthenticationTagMismatchException in practice; the AEAD has already cleared the output.
            HpkeThrow.Error(HpkeError.OpenFailed, e);
        }

        EndMessage();
        return length;
    }

    /// <summary>
    /// Opens the message sealed at <paramref name="sequenceNumber"/>, in any order, without reading or
    /// advancing <see cref="HpkeContext.SequenceNumber"/>. Allocates nothing when the ciphertext is
    /// authentic. The AEAD cannot tell a replay from a first delivery: the caller must keep its own
    /// record of the sequence numbers it has accepted and refuse the others before calling this.
    /// </summary>
    /// <param name="sequenceNumber">The sender's sequence number for this message, as carried beside it.</param>
    /// <param name="aad">The associated data the sender used.</param>
    /// <param name="ciphertextAndTag">ciphertext || tag, as received.</param>
    /// <param name="plaintext">At least ciphertextAndTag.Length - 16 bytes; receives the message.</param>
    /// <returns>Bytes written: ciphertextAndTag.Length - <see cref="HpkeSuite.TagSize"/>.</returns>
    /// <exception cref="HpkeException">
    /// <see cref="HpkeError.OpenFailed"/> for a truncated or inauthentic ciphertext or a wrong sequence number
    /// (the plaintext buffer is then cleared).
    /// </exception>
    public int Open(ulong sequenceNumber, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        int length = ciphertextAndTag.Length - HpkeSuite.TagSize;
        if (length < 0)
        {
            HpkeThrow.Error(HpkeError.OpenFailed);
        }

        if (plaintext.Length < length)
        {
            HpkeThrow.DestinationTooSmall(nameof(plaintext));
        }

        Span<byte> nonce = stackalloc byte[HpkeSuite.NonceSize];
        AesGcm aead = MessageAt(sequenceNumber, nonce);
        try
        {
            aead.Decrypt(nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext[..length], aad);
        }
        catch (CryptographicException e)
        {
            HpkeThrow.Error(HpkeError.OpenFailed, e);
        }

        return length;
    }

    /// <summary>Open(aad, ct) into a new array; see <see cref="Open(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    /// <param name="aad">The associated data the sender used.</param>
    /// <param name="ciphertextAndTag">ciphertext || tag, as received.</param>
    /// <returns>The message.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.OpenFailed"/> or <see cref="HpkeError.MessageLimitReached"/>.</exception>
    public byte[] Open(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertextAndTag)
    {
        if (ciphertextAndTag.Length < HpkeSuite.TagSize)
        {
            HpkeThrow.Error(HpkeError.OpenFailed);
        }

        byte[] plaintext = new byte[ciphertextAndTag.Length - HpkeSuite.TagSize];
        Open(aad, ciphertextAndTag, plaintext);
        return plaintext;
    }
}
