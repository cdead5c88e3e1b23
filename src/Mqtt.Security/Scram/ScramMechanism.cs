using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Mqtt.Security.Scram;

/// <summary>
/// A SCRAM mechanism (RFC 5802) bound to one hash function: <see cref="Sha256"/> (RFC 7677) or <see cref="Sha512"/>.
/// </summary>
public sealed class ScramMechanism
{
    private ScramMechanism(string name, HashAlgorithmName hashAlgorithm, int hashSizeInBytes)
    {
        Name = name;
        HashAlgorithm = hashAlgorithm;
        HashSizeInBytes = hashSizeInBytes;
    }

    /// <summary>SCRAM-SHA-256 (RFC 7677).</summary>
    public static ScramMechanism Sha256 { get; } = new("SCRAM-SHA-256", HashAlgorithmName.SHA256, SHA256.HashSizeInBytes);

    /// <summary>SCRAM-SHA-512.</summary>
    public static ScramMechanism Sha512 { get; } = new("SCRAM-SHA-512", HashAlgorithmName.SHA512, SHA512.HashSizeInBytes);

    /// <summary>The SASL mechanism name, also the MQTT Authentication Method: <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c>.</summary>
    public string Name { get; }

    /// <summary>The hash function H() and the one HMAC() and Hi() are built on.</summary>
    public HashAlgorithmName HashAlgorithm { get; }

    /// <summary>The output size of H() in bytes: the size of keys, proofs and signatures.</summary>
    public int HashSizeInBytes { get; }

    /// <summary>Finds a mechanism by its exact (case-sensitive) name, as carried in the MQTT Authentication Method.</summary>
    /// <param name="name">The mechanism name, for example <c>SCRAM-SHA-256</c>.</param>
    /// <param name="mechanism">The mechanism, when the name is known.</param>
    /// <returns>True when the name is <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c>.</returns>
    public static bool TryGetByName(string? name, [NotNullWhen(true)] out ScramMechanism? mechanism)
    {
        mechanism = name switch
        {
            "SCRAM-SHA-256" => Sha256,
            "SCRAM-SHA-512" => Sha512,
            _ => null,
        };
        return mechanism is not null;
    }

    /// <summary>
    /// SaltedPassword := Hi(password, salt, i), i.e. PBKDF2 with this mechanism's HMAC and one output block.
    /// The password is used as UTF-8 without normalization (see docs/scram.md).
    /// </summary>
    /// <param name="password">The password.</param>
    /// <param name="salt">The user's salt.</param>
    /// <param name="iterationCount">The iteration count i, at least 1.</param>
    /// <returns>The salted password, <see cref="HashSizeInBytes"/> long. Callers should zero it when done.</returns>
    /// <exception cref="ArgumentException">The password has an unpaired surrogate, the salt is empty or the count is not positive.</exception>
    public byte[] ComputeSaltedPassword(string password, ReadOnlySpan<byte> salt, int iterationCount)
    {
        byte[] passwordBytes = ScramPassword.Encode(password, nameof(password));
        try
        {
            return ComputeSaltedPassword(passwordBytes, salt, iterationCount);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    /// <summary>SaltedPassword := Hi(password, salt, i) for a password already in bytes (such as an MQTT CONNECT password).</summary>
    /// <param name="password">The password octets.</param>
    /// <param name="salt">The user's salt.</param>
    /// <param name="iterationCount">The iteration count i, at least 1.</param>
    /// <returns>The salted password, <see cref="HashSizeInBytes"/> long. Callers should zero it when done.</returns>
    /// <exception cref="ArgumentException">The salt is empty or the count is not positive.</exception>
    public byte[] ComputeSaltedPassword(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterationCount)
    {
        if (salt.IsEmpty)
        {
            throw new ArgumentException("The salt must not be empty.", nameof(salt));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterationCount, 1);
        byte[] salted = new byte[HashSizeInBytes];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, salted, iterationCount, HashAlgorithm);
        return salted;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>HMAC(key, data) into <paramref name="destination"/>.</summary>
    internal void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (HashSizeInBytes == SHA256.HashSizeInBytes)
        {
            HMACSHA256.HashData(key, data, destination);
        }
        else
        {
            HMACSHA512.HashData(key, data, destination);
        }
    }

    /// <summary>H(data) into <paramref name="destination"/>.</summary>
    internal void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (HashSizeInBytes == SHA256.HashSizeInBytes)
        {
            SHA256.HashData(data, destination);
        }
        else
        {
            SHA512.HashData(data, destination);
        }
    }
}
