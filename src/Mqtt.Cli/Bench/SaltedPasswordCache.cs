namespace Mqtt.Cli.Bench;

/// <summary>
/// The SCRAM salted password of the one user a bench run logs in as, computed by the first login and shared by the
/// others (RFC 5802 section 5.1 lets a client cache it), so that PBKDF2 runs once instead of once per connection and
/// the connection storm measures the broker, not the generator. Recomputed if the server announces another salt.
/// </summary>
public sealed class SaltedPasswordCache
{
    private Entry? _entry;

    /// <summary>The salted password for <paramref name="salt"/> and <paramref name="iterations"/>, computed at most once per pair.</summary>
    public byte[] GetOrCompute(ReadOnlySpan<byte> salt, int iterations, Func<byte[]> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        Entry? entry = Volatile.Read(ref _entry);
        if (entry is not null && entry.Iterations == iterations && salt.SequenceEqual(entry.Salt))
        {
            return entry.SaltedPassword;
        }
        // Concurrent first logins may each compute it: harmless, and only until the first one is stored.
        entry = new Entry(salt.ToArray(), iterations, compute());
        Volatile.Write(ref _entry, entry);
        return entry.SaltedPassword;
    }

    private sealed record Entry(byte[] Salt, int Iterations, byte[] SaltedPassword);
}
