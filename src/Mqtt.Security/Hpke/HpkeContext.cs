using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// What sender and recipient contexts share (RFC 9180 section 5): one AEAD key, the base nonce,
/// the sequence number and the exporter secret. Not thread-safe: one context serves one
/// ordered stream of messages. Dispose it to erase the keys.
/// </summary>
public abstract class HpkeContext : IDisposable
{
    private readonly AesGcm aead;
    private readonly byte[] baseNonce;
    private readonly byte[] exporterSecret;
    private bool disposed;

    private protected HpkeContext(HpkeSuite suite, HpkeKeySchedule schedule)
    {
        Suite = suite;
        aead = new AesGcm(schedule.Key, HpkeSuite.TagSize);
        baseNonce = (byte[])schedule.BaseNonce.Clone();
        exporterSecret = (byte[])schedule.ExporterSecret.Clone();
    }

    /// <summary>The suite the context was set up with.</summary>
    public HpkeSuite Suite { get; }

    /// <summary>The sequence number of the next message to seal or open; starts at 0.</summary>
    public ulong SequenceNumber { get; internal set; }

    /// <summary>
    /// Secret export (RFC 9180 section 5.3): LabeledExpand(exporter_secret, "sec", exporter_context, L)
    /// with L = <paramref name="destination"/>.Length. Does not touch the sequence number.
    /// </summary>
    /// <param name="exporterContext">Distinguishes independent exported secrets.</param>
    /// <param name="destination">Receives L bytes, at most 255 * 32 = 8160.</param>
    public void Export(ReadOnlySpan<byte> exporterContext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, LabeledKdf.MaxExpandLength, nameof(destination));
        if (destination.IsEmpty)
        {
            return;
        }

        LabeledKdf.LabeledExpand(Suite.SuiteId, exporterSecret, "sec"u8, exporterContext, destination);
    }

    /// <summary>Secret export into a new array; see <see cref="Export(ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    /// <param name="exporterContext">Distinguishes independent exported secrets.</param>
    /// <param name="length">L, from 0 to 8160.</param>
    /// <returns>L bytes.</returns>
    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, LabeledKdf.MaxExpandLength);
        byte[] secret = new byte[length];
        Export(exporterContext, secret);
        return secret;
    }

    /// <summary>Erases the key, base nonce and exporter secret.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Erases the keys; derived types have nothing more to release.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposed && disposing)
        {
            disposed = true;
            aead.Dispose();
            CryptographicOperations.ZeroMemory(baseNonce);
            CryptographicOperations.ZeroMemory(exporterSecret);
        }
    }

    /// <summary>
    /// The AEAD for the current message, with its nonce written to <paramref name="nonce"/>:
    /// base_nonce XOR I2OSP(seq, Nn) (RFC 9180 section 5.2).
    /// </summary>
    /// <exception cref="HpkeException"><see cref="HpkeError.MessageLimitReached"/> when seq cannot advance.</exception>
    private protected AesGcm BeginMessage(Span<byte> nonce)
    {
        ObjectDisposedException.ThrowIf(disposed, this);

        // The RFC's limit is 2^96 - 1; a 64-bit counter stops earlier, which is only stricter.
        if (SequenceNumber == ulong.MaxValue)
        {
            HpkeThrow.Error(HpkeError.MessageLimitReached);
        }

        return MessageAt(SequenceNumber, nonce);
    }

    /// <summary>
    /// The AEAD and nonce for the message sealed at <paramref name="sequenceNumber"/>, without reading
    /// or changing <see cref="SequenceNumber"/>: for recipients that open out of order.
    /// </summary>
    private protected AesGcm MessageAt(ulong sequenceNumber, Span<byte> nonce)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        baseNonce.CopyTo(nonce);
        Span<byte> tail = nonce[(HpkeSuite.NonceSize - sizeof(ulong))..];
        BinaryPrimitives.WriteUInt64BigEndian(tail, BinaryPrimitives.ReadUInt64BigEndian(tail) ^ sequenceNumber);
        return aead;
    }

    /// <summary>IncrementSeq, called only after the AEAD succeeded.</summary>
    private protected void EndMessage() => SequenceNumber++;
}
