using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// A user's signed key announcement, published retained on <c>&lt;user&gt;/pubKey</c>: version, user,
/// identity key (ECDSA P-256), key-agreement key (DHKEM(P-256) for HPKE), creation time, and the identity
/// key's signature over all of them (layout in docs/e2e.md). An instance always holds a verified
/// signature; it says nothing yet about whether the identity key is the right one for the user:
/// that is the <see cref="TrustStore"/>'s job.
/// </summary>
public sealed class KeyAnnouncement
{
    /// <summary>The version this implementation writes and reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Bytes in an agreement key id: the first 8 bytes of SHA-256 over the agreement key.</summary>
    public const int KeyIdSize = 8;

    private const int HeaderSize = 4 + 1 + 2; // magic, version, user length
    private const int MaxUserBytes = UserName.MaxLength * 4;
    private const int FixedTailSize = 2 * P256Curve.PointSize + sizeof(long) + IdentitySignature.Size;

    private readonly byte[] encoded;
    private readonly int userLength;

    private KeyAnnouncement(byte[] encoded, string user, HpkePublicKey agreementKey, DateTimeOffset createdAt)
    {
        this.encoded = encoded;
        userLength = encoded.Length - HeaderSize - FixedTailSize;
        User = user;
        AgreementKey = agreementKey;
        CreatedAt = createdAt;
        Fingerprint = Fingerprint.Of(IdentityKey);
        AgreementKeyId = KeyIdOf(agreementKey);
    }

    /// <summary>"MQKA": the first four bytes of every announcement.</summary>
    public static ReadOnlySpan<byte> Magic => "MQKA"u8;

    /// <summary>Prefixed to the signed bytes so an identity signature over anything else can never pass as an announcement.</summary>
    private static ReadOnlySpan<byte> SignatureDomain => "mqttcore-e2e key announcement"u8;

    /// <summary>The format version.</summary>
    public byte Version => encoded[4];

    /// <summary>The user the keys belong to.</summary>
    public string User { get; }

    /// <summary>The identity public key, 0x04 || X || Y.</summary>
    public ReadOnlySpan<byte> IdentityKey => encoded.AsSpan(HeaderSize + userLength, P256Curve.PointSize);

    /// <summary>The identity key's fingerprint, for out-of-band comparison.</summary>
    public Fingerprint Fingerprint { get; }

    /// <summary>The key-agreement public key that senders encapsulate to (pkR) and that authenticates this user as a sender (pkS).</summary>
    public HpkePublicKey AgreementKey { get; }

    /// <summary>The first 8 bytes of SHA-256 over <see cref="AgreementKey"/>, big-endian; envelopes name keys by it.</summary>
    public ulong AgreementKeyId { get; }

    /// <summary>When the agreement key was made; a newer announcement under the same identity replaces an older one.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The signature, r || s (64 bytes).</summary>
    public ReadOnlySpan<byte> Signature => encoded.AsSpan(encoded.Length - IdentitySignature.Size);

    /// <summary>The whole announcement as published.</summary>
    public ReadOnlySpan<byte> Encoded => encoded;

    /// <summary>The whole announcement in a new array.</summary>
    /// <returns>A copy of <see cref="Encoded"/>.</returns>
    public byte[] ToArray() => (byte[])encoded.Clone();

    /// <summary>Parses and verifies an announcement. Never throws on hostile bytes.</summary>
    /// <param name="encoded">The bytes, e.g. a retained <c>pubKey</c> payload.</param>
    /// <param name="announcement">The verified announcement.</param>
    /// <param name="error">Why it was refused.</param>
    /// <returns>True when the format is right and the signature verifies under the identity key it carries.</returns>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out KeyAnnouncement? announcement, out E2eError error)
    {
        announcement = null;
        error = Validate(encoded, out string? user, out HpkePublicKey? agreementKey, out DateTimeOffset createdAt);
        if (error != E2eError.None)
        {
            return false;
        }

        announcement = new KeyAnnouncement(encoded.ToArray(), user!, agreementKey!, createdAt);
        return true;
    }

    /// <summary>Parses, verifies and checks that the announcement belongs to <paramref name="expectedUser"/> (the topic it came from).</summary>
    /// <param name="encoded">The bytes.</param>
    /// <param name="expectedUser">The user whose <c>pubKey</c> topic carried it.</param>
    /// <param name="announcement">The verified announcement.</param>
    /// <param name="error">Why it was refused; <see cref="E2eError.UserMismatch"/> when it names someone else.</param>
    /// <returns>True when valid and for <paramref name="expectedUser"/>.</returns>
    public static bool TryParse(
        ReadOnlySpan<byte> encoded, string expectedUser, [NotNullWhen(true)] out KeyAnnouncement? announcement, out E2eError error)
    {
        ArgumentNullException.ThrowIfNull(expectedUser);
        if (!TryParse(encoded, out announcement, out error))
        {
            return false;
        }

        if (!string.Equals(announcement.User, expectedUser, StringComparison.Ordinal))
        {
            announcement = null;
            error = E2eError.UserMismatch;
            return false;
        }

        return true;
    }

    /// <summary>Parses and verifies an announcement.</summary>
    /// <param name="encoded">The bytes.</param>
    /// <returns>The verified announcement.</returns>
    /// <exception cref="E2eException">The bytes are not a valid, correctly signed announcement.</exception>
    public static KeyAnnouncement Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out KeyAnnouncement? announcement, out E2eError error)
            ? announcement
            : throw new E2eException(error);

    /// <summary>The key id of any agreement key: the first 8 bytes of SHA-256 over its encoding, big-endian.</summary>
    /// <param name="agreementKey">The key.</param>
    /// <returns>The id.</returns>
    public static ulong KeyIdOf(HpkePublicKey agreementKey)
    {
        ArgumentNullException.ThrowIfNull(agreementKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(agreementKey.Encoded, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>Builds and signs an announcement.</summary>
    internal static KeyAnnouncement Create(string user, ECDsa identityKey, HpkePublicKey agreementKey, DateTimeOffset createdAt)
    {
        byte[] userBytes = Encoding.UTF8.GetBytes(user);
        byte[] identityPoint = IdentitySignature.ExportPoint(identityKey);
        long createdMs = createdAt.ToUnixTimeMilliseconds();
        if (!UserName.IsValid(user) || userBytes.Length > MaxUserBytes || createdMs < 0)
        {
            throw new ArgumentException("Not a valid user name or creation time for an announcement.");
        }

        byte[] encoded = new byte[HeaderSize + userBytes.Length + FixedTailSize];
        Span<byte> w = encoded;
        Magic.CopyTo(w);
        w[4] = CurrentVersion;
        BinaryPrimitives.WriteUInt16BigEndian(w[5..], (ushort)userBytes.Length);
        int offset = HeaderSize;
        userBytes.CopyTo(w[offset..]);
        offset += userBytes.Length;
        identityPoint.CopyTo(w[offset..]);
        offset += P256Curve.PointSize;
        agreementKey.Encoded.CopyTo(w[offset..]);
        offset += P256Curve.PointSize;
        BinaryPrimitives.WriteInt64BigEndian(w[offset..], createdMs);
        offset += sizeof(long);
        IdentitySignature.Sign(identityKey, SignatureDomain, w[..offset]).CopyTo(w[offset..]);
        return new KeyAnnouncement(encoded, user, agreementKey, DateTimeOffset.FromUnixTimeMilliseconds(createdMs));
    }

    private static E2eError Validate(
        ReadOnlySpan<byte> encoded, out string? user, out HpkePublicKey? agreementKey, out DateTimeOffset createdAt)
    {
        user = null;
        agreementKey = null;
        createdAt = default;
        int magicLength = Math.Min(encoded.Length, Magic.Length);
        if (!encoded[..magicLength].SequenceEqual(Magic[..magicLength]))
        {
            return E2eError.Malformed;
        }

        if (encoded.Length < HeaderSize)
        {
            return encoded.Length > 4 && encoded[4] != CurrentVersion ? E2eError.UnsupportedVersion : E2eError.Truncated;
        }

        if (encoded[4] != CurrentVersion)
        {
            return E2eError.UnsupportedVersion;
        }

        int userLength = BinaryPrimitives.ReadUInt16BigEndian(encoded[5..]);
        if (userLength is 0 or > MaxUserBytes)
        {
            return E2eError.Malformed;
        }

        int total = HeaderSize + userLength + FixedTailSize;
        if (encoded.Length < total)
        {
            return E2eError.Truncated;
        }

        if (encoded.Length > total)
        {
            return E2eError.Malformed;
        }

        ReadOnlySpan<byte> userBytes = encoded.Slice(HeaderSize, userLength);
        ReadOnlySpan<byte> identity = encoded.Slice(HeaderSize + userLength, P256Curve.PointSize);
        ReadOnlySpan<byte> agreement = encoded.Slice(HeaderSize + userLength + P256Curve.PointSize, P256Curve.PointSize);
        int timeOffset = HeaderSize + userLength + (2 * P256Curve.PointSize);
        long createdMs = BinaryPrimitives.ReadInt64BigEndian(encoded[timeOffset..]);
        int signedLength = timeOffset + sizeof(long);
        if (!UserName.IsValid(userBytes)
            || !IdentitySignature.IsValidPoint(identity)
            || createdMs < 0
            || createdMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return E2eError.Malformed;
        }

        try
        {
            agreementKey = DhkemP256.DeserializePublicKey(agreement);
        }
        catch (HpkeException)
        {
            return E2eError.Malformed;
        }

        if (!IdentitySignature.Verify(identity, SignatureDomain, encoded[..signedLength], encoded[signedLength..]))
        {
            agreementKey = null;
            return E2eError.BadSignature;
        }

        user = Encoding.UTF8.GetString(userBytes);
        createdAt = DateTimeOffset.FromUnixTimeMilliseconds(createdMs);
        return E2eError.None;
    }
}
