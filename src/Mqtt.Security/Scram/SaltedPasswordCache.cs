namespace Mqtt.Security.Scram;

/// <summary>
/// The salted password Hi(password, salt, i) of one user's password, kept after the first login so that later
/// exchanges with the same salt and iteration count skip PBKDF2 (RFC 5802 section 5.1 lets a client cache it).
/// Holds one entry, recomputed when the server announces another salt or count. Thread-safe; share it only between
/// exchanges for the same user and password. What it holds is password-equivalent for that server.
/// </summary>
public sealed class SaltedPasswordCache
{
    private Entry? _entry;

    /// <summary>A copy of the salted password for <paramref name="salt"/> and <paramref name="iterations"/>, computed at most once per pair.</summary>
    /// <param name="salt">The salt the server announced.</param>
    /// <param name="iterations">The iteration count the server announced.</param>
    /// <param name="compute">Computes the salted password when it is not cached.</param>
    /// <returns>A copy the caller may zero after use.</returns>
    public byte[] GetOrCompute(ReadOnlySpan<byte> salt, int iterations, Func<byte[]> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        Entry? entry = Volatile.Read(ref _entry);
        if (entry is null || entry.Iterations != iterations || !salt.SequenceEqual(entry.Salt))
        {
            // Concurrent first logins may each compute it: harmless, and only until the first one is stored.
            entry = new Entry(salt.ToArray(), iterations, compute());
            Volatile.Write(ref _entry, entry);
        }
        return (byte[])entry.SaltedPassword.Clone();
    }

    private sealed record Entry(byte[] Salt, int Iterations, byte[] SaltedPassword);
}
