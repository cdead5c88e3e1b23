namespace Mqtt.Security.Hpke;

/// <summary>The sender's context (ContextS in RFC 9180 section 5.2): seals messages in order.</summary>
public sealed class HpkeSenderContext : HpkeContext
{
    internal HpkeSenderContext(HpkeSuite suite, HpkeKeySchedule schedule)
        : base(suite, schedule)
    {
    }

    /// <summary>
    /// Seal(aad, pt) into a caller buffer: encrypts with the current sequence number, then
    /// advances it. Allocates nothing.
    /// </summary>
    /// <param name="aad">Associated data, authenticated but not encrypted.</param>
    /// <param name="plaintext">The message.</param>
    /// <param name="ciphertextAndTag">At least plaintext.Length + 16 bytes; receives ciphertext || tag.</param>
    /// <returns>Bytes written: plaintext.Length + <see cref="HpkeSuite.TagSize"/>.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.MessageLimitReached"/> when the context is exhausted.</exception>
    public int Seal(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertextAndTag)
    {
        int length = plaintext.Length + HpkeSuite.TagSize;
        if (ciphertextAndTag.Length < length)
        {
            HpkeThrow.DestinationTooSmall(nameof(ciphertextAndTag));
        }

        Span<byte> nonce = stackalloc byte[HpkeSuite.NonceSize];
        BeginMessage(nonce).Encrypt(
            nonce,
            plaintext,
            ciphertextAndTag[..plaintext.Length],
            ciphertextAndTag.Slice(plaintext.Length, HpkeSuite.TagSize),
            aad);
        EndMessage();
        return length;
    }

    /// <summary>Seal(aad, pt) into a new array; see <see cref="Seal(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    /// <param name="aad">Associated data, authenticated but not encrypted.</param>
    /// <param name="plaintext">The message.</param>
    /// <returns>ciphertext || tag.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.MessageLimitReached"/> when the context is exhausted.</exception>
    public byte[] Seal(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        byte[] ciphertext = new byte[plaintext.Length + HpkeSuite.TagSize];
        Seal(aad, plaintext, ciphertext);
        return ciphertext;
    }
}
