using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace Mqtt.Security.Scram;

/// <summary>
/// What a server stores for one user and one mechanism (RFC 5802 section 3): salt, iteration count,
/// StoredKey and ServerKey. It lets the server check a client proof but not compute one, so a stolen
/// credential file does not let anyone log in.
/// </summary>
/// <remarks>
/// Text form, as PostgreSQL writes it: <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>,
/// all three values in base64. <see cref="object.ToString"/> is deliberately not overridden, so key
/// material never reaches a log by accident.
/// </remarks>
public sealed class ScramVerifier
{
    /// <summary>The iteration count used when none is given.</summary>
    public const int DefaultIterationCount = 4096;

    /// <summary>The fewest iterations a verifier may have, and the fewest a <see cref="ScramClient"/> accepts (SECURITY.md).</summary>
    public const int MinimumIterationCount = 4096;

    /// <summary>Length of the random salt made by <see cref="Derive(ScramMechanism, string, int)"/>, and of decoy salts.</summary>
    public const int DefaultSaltLength = 16;

    /// <summary>Shortest server secret accepted by <see cref="CreateDecoy"/>.</summary>
    public const int MinimumServerSecretLength = 16;

    private readonly byte[] _salt;
    private readonly byte[] _storedKey;
    private readonly byte[] _serverKey;

    /// <summary>Creates a verifier from its parts.</summary>
    /// <param name="mechanism">The mechanism the keys belong to.</param>
    /// <param name="salt">The salt; not empty.</param>
    /// <param name="iterationCount">The iteration count; at least <see cref="MinimumIterationCount"/>.</param>
    /// <param name="storedKey">StoredKey, <see cref="ScramMechanism.HashSizeInBytes"/> long.</param>
    /// <param name="serverKey">ServerKey, <see cref="ScramMechanism.HashSizeInBytes"/> long.</param>
    /// <exception cref="ArgumentException">A part has the wrong size or the count is too low.</exception>
    public ScramVerifier(ScramMechanism mechanism, ReadOnlySpan<byte> salt, int iterationCount, ReadOnlySpan<byte> storedKey, ReadOnlySpan<byte> serverKey)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        if (salt.IsEmpty)
        {
            throw new ArgumentException("The salt must not be empty.", nameof(salt));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterationCount, MinimumIterationCount);
        if (storedKey.Length != mechanism.HashSizeInBytes)
        {
            throw new ArgumentException($"StoredKey must be {mechanism.HashSizeInBytes} bytes for {mechanism.Name}.", nameof(storedKey));
        }

        if (serverKey.Length != mechanism.HashSizeInBytes)
        {
            throw new ArgumentException($"ServerKey must be {mechanism.HashSizeInBytes} bytes for {mechanism.Name}.", nameof(serverKey));
        }

        Mechanism = mechanism;
        IterationCount = iterationCount;
        _salt = salt.ToArray();
        _storedKey = storedKey.ToArray();
        _serverKey = serverKey.ToArray();
    }

    /// <summary>The mechanism the keys belong to.</summary>
    public ScramMechanism Mechanism { get; }

    /// <summary>The salt sent to clients in the server-first-message.</summary>
    public ReadOnlySpan<byte> Salt => _salt;

    /// <summary>The iteration count i sent to clients in the server-first-message.</summary>
    public int IterationCount { get; }

    /// <summary>StoredKey := H(ClientKey).</summary>
    public ReadOnlySpan<byte> StoredKey => _storedKey;

    /// <summary>ServerKey := HMAC(SaltedPassword, "Server Key").</summary>
    public ReadOnlySpan<byte> ServerKey => _serverKey;

    /// <summary>Derives a verifier from a password with a fresh random salt of <see cref="DefaultSaltLength"/> bytes.</summary>
    /// <param name="mechanism">The mechanism.</param>
    /// <param name="password">The password, used as UTF-8 without normalization (see docs/scram.md).</param>
    /// <param name="iterationCount">The iteration count; at least <see cref="MinimumIterationCount"/>.</param>
    /// <returns>The verifier.</returns>
    /// <exception cref="ArgumentException">The password has an unpaired surrogate or the count is too low.</exception>
    public static ScramVerifier Derive(ScramMechanism mechanism, string password, int iterationCount = DefaultIterationCount)
    {
        Span<byte> salt = stackalloc byte[DefaultSaltLength];
        RandomNumberGenerator.Fill(salt);
        return Derive(mechanism, password, salt, iterationCount);
    }

    /// <summary>Derives a verifier from a password and a given salt (for test vectors and imports).</summary>
    /// <param name="mechanism">The mechanism.</param>
    /// <param name="password">The password, used as UTF-8 without normalization (see docs/scram.md).</param>
    /// <param name="salt">The salt; not empty.</param>
    /// <param name="iterationCount">The iteration count; at least <see cref="MinimumIterationCount"/>.</param>
    /// <returns>The verifier.</returns>
    /// <exception cref="ArgumentException">The password has an unpaired surrogate, the salt is empty or the count is too low.</exception>
    public static ScramVerifier Derive(ScramMechanism mechanism, string password, ReadOnlySpan<byte> salt, int iterationCount)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterationCount, MinimumIterationCount);
        byte[] saltedPassword = mechanism.ComputeSaltedPassword(password, salt, iterationCount);
        try
        {
            return FromSaltedPassword(mechanism, saltedPassword, salt, iterationCount);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(saltedPassword);
        }
    }

    /// <summary>
    /// A stand-in verifier for a user that does not exist, so that the exchange looks the same as for a
    /// real user and fails only at the proof (SECURITY.md section 3). The salt is
    /// HMAC(serverSecret, mechanism name, 0, user name) cut to <see cref="DefaultSaltLength"/> bytes: the same
    /// name always gets the same salt, as a real user would, and no one without the secret can tell it from a
    /// random one. The mechanism name is mixed in because a real user's two verifiers have independent salts.
    /// The keys are random, so no password matches.
    /// </summary>
    /// <param name="mechanism">The mechanism the client asked for.</param>
    /// <param name="userName">The user name from the client-first-message.</param>
    /// <param name="serverSecret">A secret kept by the broker across restarts; at least <see cref="MinimumServerSecretLength"/> bytes.</param>
    /// <param name="iterationCount">The iteration count the broker gives real users, so the decoy does not stand out.</param>
    /// <returns>A verifier no password matches.</returns>
    /// <exception cref="ArgumentException">The name has an unpaired surrogate, the secret is too short or the count too low.</exception>
    public static ScramVerifier CreateDecoy(ScramMechanism mechanism, string userName, ReadOnlySpan<byte> serverSecret, int iterationCount = DefaultIterationCount)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentNullException.ThrowIfNull(userName);
        if (serverSecret.Length < MinimumServerSecretLength)
        {
            throw new ArgumentException($"The server secret must be at least {MinimumServerSecretLength} bytes.", nameof(serverSecret));
        }

        if (!StrictUtf8.IsWellFormed(userName))
        {
            throw new ArgumentException("The user name contains an unpaired surrogate.", nameof(userName));
        }

        byte[] input = StrictUtf8.GetBytes($"{mechanism.Name}\0{userName}");
        Span<byte> mac = stackalloc byte[mechanism.HashSizeInBytes];
        mechanism.Hmac(serverSecret, input, mac);

        Span<byte> storedKey = stackalloc byte[mechanism.HashSizeInBytes];
        Span<byte> serverKey = stackalloc byte[mechanism.HashSizeInBytes];
        RandomNumberGenerator.Fill(storedKey);
        RandomNumberGenerator.Fill(serverKey);
        return new ScramVerifier(mechanism, mac[..DefaultSaltLength], iterationCount, storedKey, serverKey);
    }

    /// <summary>
    /// Checks a plain password (MQTT CONNECT password, for clients without SCRAM) against this verifier,
    /// in constant time with respect to the keys.
    /// </summary>
    /// <param name="password">The password, used as UTF-8 without normalization.</param>
    /// <returns>True when the password is the one the verifier was derived from.</returns>
    public bool VerifyPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!StrictUtf8.IsWellFormed(password))
        {
            return false;
        }

        byte[] passwordBytes = StrictUtf8.GetBytes(password);
        try
        {
            return VerifyPassword(passwordBytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    /// <summary>Checks a plain password given as bytes (the MQTT CONNECT Password field) against this verifier.</summary>
    /// <param name="password">The password octets.</param>
    /// <returns>True when the password is the one the verifier was derived from.</returns>
    public bool VerifyPassword(ReadOnlySpan<byte> password)
    {
        byte[] saltedPassword = Mechanism.ComputeSaltedPassword(password, _salt, IterationCount);
        Span<byte> storedKey = stackalloc byte[Mechanism.HashSizeInBytes];
        Span<byte> serverKey = stackalloc byte[Mechanism.HashSizeInBytes];
        ScramKeys.DeriveStoredAndServerKey(Mechanism, saltedPassword, storedKey, serverKey);
        bool valid = CryptographicOperations.FixedTimeEquals(storedKey, _storedKey);
        CryptographicOperations.ZeroMemory(saltedPassword);
        CryptographicOperations.ZeroMemory(serverKey);
        return valid;
    }

    /// <summary>The text form <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>.</summary>
    /// <returns>The verifier as one line of a credential file.</returns>
    public string Format()
    {
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Mechanism.Name}${IterationCount}:{ScramBase64.Encode(_salt)}${ScramBase64.Encode(_storedKey)}:{ScramBase64.Encode(_serverKey)}");
    }

    /// <summary>Parses the text form written by <see cref="Format"/>.</summary>
    /// <param name="text">The verifier text.</param>
    /// <returns>The verifier.</returns>
    /// <exception cref="FormatException">The text is not a well-formed verifier; the message says which part is wrong.</exception>
    public static ScramVerifier Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? problem = TryParseCore(text, out ScramVerifier? verifier);
        return verifier ?? throw new FormatException(problem);
    }

    /// <summary>Parses the text form written by <see cref="Format"/>, without throwing.</summary>
    /// <param name="text">The verifier text.</param>
    /// <param name="verifier">The verifier, when the text is well-formed.</param>
    /// <returns>True when the text is a well-formed verifier.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out ScramVerifier? verifier)
    {
        verifier = null;
        return text is not null && TryParseCore(text, out verifier) is null;
    }

    internal static ScramVerifier FromSaltedPassword(ScramMechanism mechanism, ReadOnlySpan<byte> saltedPassword, ReadOnlySpan<byte> salt, int iterationCount)
    {
        Span<byte> storedKey = stackalloc byte[mechanism.HashSizeInBytes];
        Span<byte> serverKey = stackalloc byte[mechanism.HashSizeInBytes];
        ScramKeys.DeriveStoredAndServerKey(mechanism, saltedPassword, storedKey, serverKey);
        var verifier = new ScramVerifier(mechanism, salt, iterationCount, storedKey, serverKey);
        CryptographicOperations.ZeroMemory(serverKey);
        return verifier;
    }

    /// <summary>Returns null and the verifier, or what is wrong with the text.</summary>
    private static string? TryParseCore(ReadOnlySpan<char> text, out ScramVerifier? verifier)
    {
        verifier = null;
        int dollar = text.IndexOf('$');
        if (dollar < 0)
        {
            return "A SCRAM verifier has the form <mechanism>$<iterations>:<salt>$<StoredKey>:<ServerKey>.";
        }

        if (!TryGetMechanism(text[..dollar], out ScramMechanism? mechanism))
        {
            return "Unknown SCRAM mechanism; expected SCRAM-SHA-256 or SCRAM-SHA-512.";
        }

        ReadOnlySpan<char> rest = text[(dollar + 1)..];
        int secondDollar = rest.IndexOf('$');
        if (secondDollar < 0)
        {
            return "A SCRAM verifier has the form <mechanism>$<iterations>:<salt>$<StoredKey>:<ServerKey>.";
        }

        if (!TrySplitPair(rest[..secondDollar], out ReadOnlySpan<char> iterationText, out ReadOnlySpan<char> saltText)
            || !TrySplitPair(rest[(secondDollar + 1)..], out ReadOnlySpan<char> storedKeyText, out ReadOnlySpan<char> serverKeyText))
        {
            return "A SCRAM verifier has the form <mechanism>$<iterations>:<salt>$<StoredKey>:<ServerKey>.";
        }

        if (!PositNumber.TryParse(iterationText, out int iterationCount))
        {
            return "The iteration count must be a positive decimal number without sign, spaces or leading zeros.";
        }

        if (iterationCount < MinimumIterationCount)
        {
            return $"The iteration count must be at least {MinimumIterationCount}.";
        }

        if (!ScramBase64.TryDecode(saltText, out byte[]? salt))
        {
            return "The salt is not canonical, non-empty base64.";
        }

        if (!ScramBase64.TryDecode(storedKeyText, out byte[]? storedKey) || storedKey.Length != mechanism.HashSizeInBytes)
        {
            return $"StoredKey must be {mechanism.HashSizeInBytes} bytes of canonical base64.";
        }

        if (!ScramBase64.TryDecode(serverKeyText, out byte[]? serverKey) || serverKey.Length != mechanism.HashSizeInBytes)
        {
            return $"ServerKey must be {mechanism.HashSizeInBytes} bytes of canonical base64.";
        }

        verifier = new ScramVerifier(mechanism, salt, iterationCount, storedKey, serverKey);
        return null;
    }

    private static bool TryGetMechanism(ReadOnlySpan<char> name, [NotNullWhen(true)] out ScramMechanism? mechanism)
    {
        mechanism = name.SequenceEqual(ScramMechanism.Sha256.Name) ? ScramMechanism.Sha256
            : name.SequenceEqual(ScramMechanism.Sha512.Name) ? ScramMechanism.Sha512
            : null;
        return mechanism is not null;
    }

    /// <summary>Splits "a:b" at its only colon.</summary>
    private static bool TrySplitPair(ReadOnlySpan<char> text, out ReadOnlySpan<char> first, out ReadOnlySpan<char> second)
    {
        int colon = text.IndexOf(':');
        first = colon < 0 ? default : text[..colon];
        second = colon < 0 ? default : text[(colon + 1)..];
        return colon >= 0 && !second.Contains(':');
    }
}
