using System.Buffers.Binary;

namespace Mqtt.Security.EndToEnd;

/// <summary>A parsed envelope: spans into the received bytes, nothing copied. See <see cref="E2eEnvelope"/>.</summary>
internal readonly ref struct EnvelopeHeader
{
    private EnvelopeHeader(ReadOnlySpan<byte> envelope, int headerLength)
    {
        CiphertextAndTag = envelope[headerLength..];
        SessionId = BinaryPrimitives.ReadUInt128BigEndian(envelope[4..]);
        Sequence = BinaryPrimitives.ReadUInt64BigEndian(envelope[(4 + E2eEnvelope.SessionIdSize)..]);
        if (headerLength > E2eEnvelope.HeaderSize)
        {
            ReadOnlySpan<byte> start = envelope[E2eEnvelope.HeaderSize..headerLength];
            HasSessionStart = true;
            SessionStart = start;
            SenderKeyId = BinaryPrimitives.ReadUInt64BigEndian(start);
            RecipientKeyId = BinaryPrimitives.ReadUInt64BigEndian(start[8..]);
            StartMilliseconds = BinaryPrimitives.ReadInt64BigEndian(start[16..]);
            Enc = start[24..];
        }
    }

    /// <summary>The session start block (key ids, start time, enc), or empty.</summary>
    public ReadOnlySpan<byte> SessionStart { get; }

    /// <summary>ciphertext || tag.</summary>
    public ReadOnlySpan<byte> CiphertextAndTag { get; }

    public UInt128 SessionId { get; }

    public ulong Sequence { get; }

    public bool HasSessionStart { get; }

    public ulong SenderKeyId { get; }

    public ulong RecipientKeyId { get; }

    public long StartMilliseconds { get; }

    public ReadOnlySpan<byte> Enc { get; }

    /// <summary>Strict parse: magic, version, no unknown flags, complete header, a tag, a usable sequence number and start time.</summary>
    public static E2eError TryRead(ReadOnlySpan<byte> envelope, out EnvelopeHeader header)
    {
        header = default;
        ReadOnlySpan<byte> magic = E2eEnvelope.Magic;
        int magicLength = Math.Min(envelope.Length, magic.Length);
        if (!envelope[..magicLength].SequenceEqual(magic[..magicLength]))
        {
            return E2eError.Malformed;
        }

        if (envelope.Length <= 2)
        {
            return E2eError.Truncated;
        }

        if (envelope[2] != E2eEnvelope.CurrentVersion)
        {
            return E2eError.UnsupportedVersion;
        }

        if (envelope.Length <= 3)
        {
            return E2eError.Truncated;
        }

        byte flags = envelope[3];
        if ((flags & ~E2eEnvelope.KnownFlags) != 0)
        {
            return E2eError.Malformed;
        }

        int headerLength = (flags & E2eEnvelope.SessionStartFlag) != 0
            ? E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize
            : E2eEnvelope.HeaderSize;
        if (envelope.Length < headerLength + E2eEnvelope.TagSize)
        {
            return E2eError.Truncated;
        }

        header = new EnvelopeHeader(envelope, headerLength);

        // A sender never seals at 2^64 - 1 (the HPKE context's limit) nor before 1970.
        if (header.Sequence == ulong.MaxValue || header.StartMilliseconds < 0)
        {
            header = default;
            return E2eError.Malformed;
        }

        return E2eError.None;
    }
}
