using System.Security.Cryptography;
using System.Text;

namespace Mqtt.Auth.Tests;

/// <summary>
/// The client side of SCRAM written from RFC 5802 section 3 for these tests, independent of Mqtt.Security's
/// ScramClient: messages are built and parsed by hand, keys computed with the BCL primitives.
/// </summary>
internal sealed class RfcScram
{
    private readonly HashAlgorithmName _hash;
    private readonly string _user;
    private readonly string _password;
    private string _clientFirstBare = "";
    private byte[]? _serverSignature;

    public RfcScram(string mechanism, string user, string password, string? clientNonce = null)
    {
        Mechanism = mechanism;
        _hash = mechanism == "SCRAM-SHA-512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        _user = user;
        _password = password;
        ClientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    }

    public string Mechanism { get; }

    public string ClientNonce { get; }

    /// <summary>Lets a test cache Hi() across exchanges with a stable salt (as an attacker would).</summary>
    public byte[]? SaltedPasswordCache { get; set; }

    public string ClientFirst()
    {
        string name = _user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
        _clientFirstBare = $"n={name},r={ClientNonce}";
        return "n,," + _clientFirstBare;
    }

    /// <summary>client-final-message for a server-first-message; <paramref name="nonceOverride"/> forges r=.</summary>
    public string ClientFinal(string serverFirst, string? nonceOverride = null)
    {
        Dictionary<char, string> attributes = Parse(serverFirst);
        string nonce = attributes['r'];
        if (!nonce.StartsWith(ClientNonce, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("server nonce does not extend ours");
        }

        byte[] salt = Convert.FromBase64String(attributes['s']);
        int iterations = int.Parse(attributes['i'], System.Globalization.CultureInfo.InvariantCulture);
        int size = _hash == HashAlgorithmName.SHA512 ? 64 : 32;
        byte[] salted = SaltedPasswordCache ??= Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(_password), salt, iterations, _hash, size);
        byte[] clientKey = Hmac(salted, "Client Key"u8.ToArray());
        byte[] storedKey = _hash == HashAlgorithmName.SHA512 ? SHA512.HashData(clientKey) : SHA256.HashData(clientKey);
        string withoutProof = $"c=biws,r={nonceOverride ?? nonce}";
        byte[] authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{withoutProof}");
        byte[] signature = Hmac(storedKey, authMessage);
        byte[] proof = new byte[size];
        for (int i = 0; i < size; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ signature[i]);
        }

        byte[] serverKey = Hmac(salted, "Server Key"u8.ToArray());
        _serverSignature = Hmac(serverKey, authMessage);
        return $"{withoutProof},p={Convert.ToBase64String(proof)}";
    }

    /// <summary>True when server-final is v= with the signature we expect (mutual authentication).</summary>
    public bool VerifyServerFinal(string serverFinal) =>
        _serverSignature is not null && serverFinal.StartsWith("v=", StringComparison.Ordinal)
        && CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(serverFinal[2..]), _serverSignature);

    private byte[] Hmac(byte[] key, byte[] data) =>
        _hash == HashAlgorithmName.SHA512 ? HMACSHA512.HashData(key, data) : HMACSHA256.HashData(key, data);

    private static Dictionary<char, string> Parse(string message)
    {
        var attributes = new Dictionary<char, string>();
        foreach (string part in message.Split(','))
        {
            attributes[part[0]] = part[2..];
        }

        return attributes;
    }
}
