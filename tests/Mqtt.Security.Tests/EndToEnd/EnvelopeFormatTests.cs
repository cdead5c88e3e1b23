using System.Buffers.Binary;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>The byte layout docs/e2e.md documents, and strict parsing of it.</summary>
public sealed class EnvelopeFormatTests : IDisposable
{
    private readonly Parties parties = new();

    public void Dispose() => parties.Dispose();

    [Fact]
    public void An_envelope_with_the_session_start_has_the_documented_layout()
    {
        using E2eSender sender = parties.AliceToBobSender();
        byte[] e = sender.Seal("hello"u8);

        Assert.Equal(117 + 5 + 16, e.Length);
        Assert.Equal("E2"u8.ToArray(), e[..2]);
        Assert.Equal(2, e[2]); // version
        Assert.Equal(0x01, e[3]); // flags: session start
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64BigEndian(e.AsSpan(20))); // sequence
        Assert.Equal(parties.Alice.Announcement.AgreementKeyId, BinaryPrimitives.ReadUInt64BigEndian(e.AsSpan(28)));
        Assert.Equal(parties.Bob.Announcement.AgreementKeyId, BinaryPrimitives.ReadUInt64BigEndian(e.AsSpan(36)));
        Assert.Equal(parties.Clock.GetUtcNow().ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(e.AsSpan(44)));
        Assert.Equal(0x04, e[52]); // enc, an uncompressed P-256 point
        Assert.Equal(E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize, 117);
        Assert.Equal(133, E2eEnvelope.MaxOverhead);
    }

    [Fact]
    public void Without_the_session_start_the_header_is_28_bytes_and_the_session_id_is_the_same()
    {
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { SessionStartInterval = 4 });
        byte[] first = sender.Seal("a"u8);
        byte[] second = sender.Seal("bc"u8);

        Assert.Equal(0, second[3]);
        Assert.Equal(28 + 2 + 16, second.Length);
        Assert.Equal(first[4..20], second[4..20]);
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64BigEndian(second.AsSpan(20)));
    }

    [Fact]
    public void Strict_parsing_names_what_is_wrong_before_any_key_is_used()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] e = sender.Seal("hello"u8);

        Assert.Equal(E2eError.Truncated, Open(receiver, []));
        Assert.Equal(E2eError.Truncated, Open(receiver, e[..2]));
        Assert.Equal(E2eError.Malformed, Open(receiver, "E3"u8.ToArray()));
        Assert.Equal(E2eError.Malformed, Open(receiver, "{\"text\":\"plaintext json\"}"u8.ToArray()));
        Assert.Equal(E2eError.UnsupportedVersion, Open(receiver, [.. e[..2], 1, .. e[3..]]));
        Assert.Equal(E2eError.Malformed, Open(receiver, [.. e[..3], 0x03, .. e[4..]])); // a reserved flag bit
        Assert.Equal(E2eError.Truncated, Open(receiver, e[..(117 + 15)])); // no room for the tag
        byte[] maxSequence = (byte[])e.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(maxSequence.AsSpan(20), ulong.MaxValue);
        Assert.Equal(E2eError.Malformed, Open(receiver, maxSequence));
        byte[] negativeStart = (byte[])e.Clone();
        negativeStart[44] |= 0x80;
        Assert.Equal(E2eError.Malformed, Open(receiver, negativeStart));
        byte[] badEnc = (byte[])e.Clone();
        badEnc[60] ^= 1; // enc off the curve
        Assert.Equal(E2eError.Malformed, Open(receiver, badEnc));

        Assert.Equal(E2eError.None, Open(receiver, e)); // none of the above consumed anything
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_typed_error()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] e = sender.Seal("a message of some length"u8);

        for (int length = 0; length < e.Length; length++)
        {
            E2eError error = Open(receiver, e[..length]);
            Assert.True(error is E2eError.Truncated or E2eError.Tampered, $"{length}: {error}");
        }

        Assert.Equal(E2eError.None, Open(receiver, e));
    }

    private static E2eError Open(E2eReceiver receiver, byte[] envelope) =>
        receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[envelope.Length], out _);
}
