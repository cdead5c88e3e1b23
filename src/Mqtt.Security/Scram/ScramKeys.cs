using System.Security.Cryptography;

namespace Mqtt.Security.Scram;

/// <summary>The key and signature arithmetic of RFC 5802 section 3, shared by client, server and verifier.</summary>
internal static class ScramKeys
{
    /// <summary>Large enough for any supported H() output.</summary>
    public const int MaxHashSize = 64;

    private static ReadOnlySpan<byte> ClientKeyLabel => "Client Key"u8;

    private static ReadOnlySpan<byte> ServerKeyLabel => "Server Key"u8;

    /// <summary>StoredKey := H(HMAC(SaltedPassword, "Client Key")); ServerKey := HMAC(SaltedPassword, "Server Key").</summary>
    public static void DeriveStoredAndServerKey(ScramMechanism mechanism, ReadOnlySpan<byte> saltedPassword, Span<byte> storedKey, Span<byte> serverKey)
    {
        Span<byte> clientKey = stackalloc byte[mechanism.HashSizeInBytes];
        mechanism.Hmac(saltedPassword, ClientKeyLabel, clientKey);
        mechanism.Hash(clientKey, storedKey);
        mechanism.Hmac(saltedPassword, ServerKeyLabel, serverKey);
        CryptographicOperations.ZeroMemory(clientKey);
    }

    /// <summary>
    /// ClientProof := ClientKey XOR HMAC(StoredKey, AuthMessage), and the ServerSignature the client expects back.
    /// </summary>
    public static void ComputeClientProof(
        ScramMechanism mechanism,
        ReadOnlySpan<byte> saltedPassword,
        ReadOnlySpan<byte> authMessage,
        Span<byte> clientProof,
        Span<byte> serverSignature)
    {
        int size = mechanism.HashSizeInBytes;
        Span<byte> clientKey = stackalloc byte[size];
        Span<byte> storedKey = stackalloc byte[size];
        Span<byte> serverKey = stackalloc byte[size];
        mechanism.Hmac(saltedPassword, ClientKeyLabel, clientKey);
        mechanism.Hash(clientKey, storedKey);
        mechanism.Hmac(storedKey, authMessage, clientProof);
        for (int i = 0; i < size; i++)
        {
            clientProof[i] ^= clientKey[i];
        }

        mechanism.Hmac(saltedPassword, ServerKeyLabel, serverKey);
        mechanism.Hmac(serverKey, authMessage, serverSignature);
        CryptographicOperations.ZeroMemory(clientKey);
        CryptographicOperations.ZeroMemory(serverKey);
    }

    /// <summary>
    /// Server side: ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage); the proof holds when
    /// H(ClientKey) equals StoredKey, compared in constant time.
    /// </summary>
    public static bool VerifyClientProof(ScramMechanism mechanism, ReadOnlySpan<byte> storedKey, ReadOnlySpan<byte> authMessage, ReadOnlySpan<byte> clientProof)
    {
        int size = mechanism.HashSizeInBytes;
        if (clientProof.Length != size || storedKey.Length != size)
        {
            return false;
        }

        Span<byte> clientKey = stackalloc byte[size];
        Span<byte> computedStoredKey = stackalloc byte[size];
        mechanism.Hmac(storedKey, authMessage, clientKey);
        for (int i = 0; i < size; i++)
        {
            clientKey[i] ^= clientProof[i];
        }

        mechanism.Hash(clientKey, computedStoredKey);
        bool valid = CryptographicOperations.FixedTimeEquals(computedStoredKey, storedKey);
        CryptographicOperations.ZeroMemory(clientKey);
        return valid;
    }

    /// <summary>AuthMessage := client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof.</summary>
    public static byte[] AuthMessage(string clientFirstMessageBare, string serverFirstMessage, string clientFinalMessageWithoutProof)
    {
        string text = $"{clientFirstMessageBare},{serverFirstMessage},{clientFinalMessageWithoutProof}";
        return StrictUtf8.GetBytes(text);
    }
}
