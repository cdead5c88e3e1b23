using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace Mqtt.Security.Scram;

/// <summary>
/// The client side of one SCRAM exchange (RFC 5802): <see cref="CreateClientFirstMessage"/>, then
/// <see cref="TryCreateClientFinalMessage(string, out string?, out ScramException?)"/> with the server-first-message, then
/// <see cref="TryVerifyServerFinal(string, out ScramException?)"/>, which authenticates the server.
/// </summary>
/// <remarks>
/// An instance is single-use: once a step fails or the exchange completes, every further step fails
/// with <see cref="ScramError.InvalidState"/>. Channel binding is not used (gs2 header <c>n,,</c>).
/// The <c>Try</c> forms never throw on hostile input; the others throw <see cref="ScramException"/>.
/// </remarks>
public sealed class ScramClient
{
    private const string Gs2Header = "n,,";

    /// <summary>base64("n,,"), the <c>c=</c> value of the client-final-message.</summary>
    private const string ChannelBinding = "biws";

    private readonly string _clientNonce;
    private byte[]? _password;
    private byte[]? _saltedPassword;
    private readonly byte[]? _saltedPasswordSalt;
    private readonly int _saltedPasswordIterationCount;
    private string? _clientFirstMessageBare;
    private byte[]? _expectedServerSignature;
    private State _state;
    private int _maximumIterationCount = 1_000_000;

    /// <summary>Starts an exchange that logs in with a password.</summary>
    /// <param name="mechanism">The mechanism, matching the MQTT Authentication Method.</param>
    /// <param name="userName">The user name, sent as the <c>n=</c> saslname.</param>
    /// <param name="password">The password, used as UTF-8 without normalization (see docs/scram.md).</param>
    /// <param name="clientNonce">A fixed nonce for tests; null (the default) draws a fresh one from a CSPRNG.</param>
    /// <exception cref="ArgumentException">The name is empty or ill-formed, the password ill-formed or the nonce not printable.</exception>
    public ScramClient(ScramMechanism mechanism, string userName, string password, string? clientNonce = null)
        : this(clientNonce, mechanism, userName)
    {
        _password = ScramPassword.Encode(password, nameof(password));
    }

    /// <summary>
    /// Starts an exchange with a salted password computed earlier (by <see cref="ScramMechanism.ComputeSaltedPassword(string, ReadOnlySpan{byte}, int)"/>),
    /// which saves the PBKDF2 work; the server must announce the same salt and iteration count.
    /// </summary>
    /// <param name="mechanism">The mechanism, matching the MQTT Authentication Method.</param>
    /// <param name="userName">The user name, sent as the <c>n=</c> saslname.</param>
    /// <param name="saltedPassword">Hi(password, salt, i), <see cref="ScramMechanism.HashSizeInBytes"/> long.</param>
    /// <param name="salt">The salt the salted password was computed with.</param>
    /// <param name="iterationCount">The iteration count the salted password was computed with.</param>
    /// <param name="clientNonce">A fixed nonce for tests; null (the default) draws a fresh one from a CSPRNG.</param>
    /// <exception cref="ArgumentException">An argument is empty, ill-formed or of the wrong size.</exception>
    public ScramClient(
        ScramMechanism mechanism,
        string userName,
        ReadOnlySpan<byte> saltedPassword,
        ReadOnlySpan<byte> salt,
        int iterationCount,
        string? clientNonce = null)
        : this(clientNonce, mechanism, userName)
    {
        if (saltedPassword.Length != mechanism.HashSizeInBytes)
        {
            throw new ArgumentException($"The salted password must be {mechanism.HashSizeInBytes} bytes for {mechanism.Name}.", nameof(saltedPassword));
        }

        if (salt.IsEmpty)
        {
            throw new ArgumentException("The salt must not be empty.", nameof(salt));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterationCount, 1);
        _saltedPassword = saltedPassword.ToArray();
        _saltedPasswordSalt = salt.ToArray();
        _saltedPasswordIterationCount = iterationCount;
    }

    private ScramClient(string? clientNonce, ScramMechanism mechanism, string userName)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentException.ThrowIfNullOrEmpty(userName);
        if (!StrictUtf8.IsWellFormed(userName) || userName.Contains('\0'))
        {
            throw new ArgumentException("The user name must be well-formed Unicode without NUL.", nameof(userName));
        }

        if (clientNonce is not null && !ScramNonce.IsPrintable(clientNonce))
        {
            throw new ArgumentException("The nonce must be printable ASCII without comma.", nameof(clientNonce));
        }

        Mechanism = mechanism;
        UserName = userName;
        _clientNonce = clientNonce ?? ScramNonce.Create();
    }

    private enum State
    {
        Initial,
        ClientFirstSent,
        ClientFinalSent,
        Authenticated,
        Failed,
    }

    /// <summary>
    /// Salted passwords of this user's password from earlier exchanges, reused when the server announces the same salt
    /// and iteration count (and filled otherwise); null (the default) runs PBKDF2 in every exchange.
    /// </summary>
    public SaltedPasswordCache? SaltedPasswords { get; init; }

    /// <summary>The mechanism of this exchange.</summary>
    public ScramMechanism Mechanism { get; }

    /// <summary>The user name being authenticated.</summary>
    public string UserName { get; }

    /// <summary>
    /// The most PBKDF2 iterations the client agrees to compute (default 1,000,000), so that a hostile
    /// server cannot make it spin for minutes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below <see cref="ScramVerifier.MinimumIterationCount"/>.</exception>
    public int MaximumIterationCount
    {
        get => _maximumIterationCount;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, ScramVerifier.MinimumIterationCount);
            _maximumIterationCount = value;
        }
    }

    /// <summary>True once the server-final-message has proved that the server knows the user's verifier.</summary>
    public bool IsAuthenticated => _state == State.Authenticated;

    /// <summary>Creates the client-first-message: gs2 header <c>n,,</c>, then <c>n=&lt;saslname&gt;,r=&lt;nonce&gt;</c>.</summary>
    /// <returns>The MQTT CONNECT Authentication Data, as text.</returns>
    /// <exception cref="ScramException">Called twice (<see cref="ScramError.InvalidState"/>).</exception>
    public string CreateClientFirstMessage()
    {
        if (_state != State.Initial)
        {
            throw Fail(ScramError.InvalidState, "The client-first-message was already created; an exchange is single-use.");
        }

        _clientFirstMessageBare = $"n={SaslName.Escape(UserName)},r={_clientNonce}";
        _state = State.ClientFirstSent;
        return Gs2Header + _clientFirstMessageBare;
    }

    /// <summary>
    /// Checks the server-first-message strictly (attributes r, s, i in that order; the nonce extends the
    /// client's; canonical base64 salt; at least <see cref="ScramVerifier.MinimumIterationCount"/> iterations;
    /// no <c>m=</c>) and creates the client-final-message carrying the proof.
    /// </summary>
    /// <param name="serverFirstMessage">The server-first-message (MQTT AUTH Authentication Data).</param>
    /// <param name="clientFinalMessage">The client-final-message, on success.</param>
    /// <param name="error">Why it failed, on failure.</param>
    /// <returns>True on success.</returns>
    public bool TryCreateClientFinalMessage(
        string serverFirstMessage,
        [NotNullWhen(true)] out string? clientFinalMessage,
        [NotNullWhen(false)] out ScramException? error)
    {
        ArgumentNullException.ThrowIfNull(serverFirstMessage);
        error = HandleServerFirst(serverFirstMessage, out clientFinalMessage);
        return error is null;
    }

    /// <summary>As <see cref="TryCreateClientFinalMessage(string, out string?, out ScramException?)"/>, from the raw UTF-8 Authentication Data.</summary>
    /// <param name="serverFirstMessage">The server-first-message in UTF-8.</param>
    /// <param name="clientFinalMessage">The client-final-message, on success.</param>
    /// <param name="error">Why it failed, on failure; invalid UTF-8 is <see cref="ScramError.MalformedMessage"/>.</param>
    /// <returns>True on success.</returns>
    public bool TryCreateClientFinalMessage(
        ReadOnlySpan<byte> serverFirstMessage,
        [NotNullWhen(true)] out string? clientFinalMessage,
        [NotNullWhen(false)] out ScramException? error)
    {
        if (!StrictUtf8.TryGetString(serverFirstMessage, out string? text))
        {
            clientFinalMessage = null;
            error = Fail(ScramError.MalformedMessage, "The server-first-message is not valid UTF-8.");
            return false;
        }

        return TryCreateClientFinalMessage(text, out clientFinalMessage, out error);
    }

    /// <summary>As <see cref="TryCreateClientFinalMessage(string, out string?, out ScramException?)"/>, throwing on failure.</summary>
    /// <param name="serverFirstMessage">The server-first-message.</param>
    /// <returns>The client-final-message.</returns>
    /// <exception cref="ScramException">The server-first-message is refused or the step is out of order.</exception>
    public string CreateClientFinalMessage(string serverFirstMessage)
    {
        return TryCreateClientFinalMessage(serverFirstMessage, out string? clientFinalMessage, out ScramException? error)
            ? clientFinalMessage
            : throw error;
    }

    /// <summary>
    /// Checks the server-final-message: <c>v=</c> must equal the expected ServerSignature (compared in constant
    /// time); an <c>e=</c> server-error fails with <see cref="ScramError.ServerError"/>.
    /// </summary>
    /// <param name="serverFinalMessage">The server-final-message (MQTT CONNACK or AUTH Authentication Data).</param>
    /// <param name="error">Why it failed, on failure.</param>
    /// <returns>True when the server is authenticated.</returns>
    public bool TryVerifyServerFinal(string serverFinalMessage, [NotNullWhen(false)] out ScramException? error)
    {
        ArgumentNullException.ThrowIfNull(serverFinalMessage);
        error = HandleServerFinal(serverFinalMessage);
        return error is null;
    }

    /// <summary>As <see cref="TryVerifyServerFinal(string, out ScramException?)"/>, from the raw UTF-8 Authentication Data.</summary>
    /// <param name="serverFinalMessage">The server-final-message in UTF-8.</param>
    /// <param name="error">Why it failed, on failure; invalid UTF-8 is <see cref="ScramError.MalformedMessage"/>.</param>
    /// <returns>True when the server is authenticated.</returns>
    public bool TryVerifyServerFinal(ReadOnlySpan<byte> serverFinalMessage, [NotNullWhen(false)] out ScramException? error)
    {
        if (!StrictUtf8.TryGetString(serverFinalMessage, out string? text))
        {
            error = Fail(ScramError.MalformedMessage, "The server-final-message is not valid UTF-8.");
            return false;
        }

        return TryVerifyServerFinal(text, out error);
    }

    /// <summary>As <see cref="TryVerifyServerFinal(string, out ScramException?)"/>, throwing on failure.</summary>
    /// <param name="serverFinalMessage">The server-final-message.</param>
    /// <exception cref="ScramException">The server is not authenticated or the step is out of order.</exception>
    public void VerifyServerFinal(string serverFinalMessage)
    {
        if (!TryVerifyServerFinal(serverFinalMessage, out ScramException? error))
        {
            throw error;
        }
    }

    private ScramException? HandleServerFirst(string message, out string? clientFinalMessage)
    {
        clientFinalMessage = null;
        if (_state != State.ClientFirstSent)
        {
            return Fail(ScramError.InvalidState, "A server-first-message is only expected right after the client-first-message.");
        }

        if (!StrictUtf8.IsWellFormed(message))
        {
            return Fail(ScramError.MalformedMessage, "The server-first-message is not well-formed Unicode.");
        }

        var reader = new ScramAttributeReader(message);
        if (!reader.TryRead(out char name, out ReadOnlySpan<char> nonce))
        {
            return Fail(ScramError.MalformedMessage, "The server-first-message must start with the r= nonce.");
        }

        if (name == 'm')
        {
            return Fail(ScramError.ExtensionNotSupported, "The server requires an m= extension, which is not supported.");
        }

        if (name != 'r' || !ScramNonce.IsPrintable(nonce))
        {
            return Fail(ScramError.MalformedMessage, "The server-first-message must start with a printable r= nonce.");
        }

        // RFC 5802 5.1: the server's nonce is the client's with more appended; anything else is a replay or a forgery.
        if (nonce.Length <= _clientNonce.Length || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            return Fail(ScramError.InvalidNonce, "The server nonce does not extend the client nonce.");
        }

        if (!reader.TryRead(out name, out ReadOnlySpan<char> saltText) || name != 's')
        {
            return Fail(ScramError.MalformedMessage, "The nonce must be followed by the s= salt.");
        }

        if (!ScramBase64.TryDecode(saltText, out byte[]? salt))
        {
            return Fail(ScramError.MalformedMessage, "The salt is not canonical, non-empty base64.");
        }

        if (!reader.TryRead(out name, out ReadOnlySpan<char> iterationText) || name != 'i')
        {
            return Fail(ScramError.MalformedMessage, "The salt must be followed by the i= iteration count.");
        }

        if (!PositNumber.IsWellFormed(iterationText))
        {
            return Fail(ScramError.MalformedMessage, "The iteration count is not a positive decimal number.");
        }

        if (!PositNumber.TryParse(iterationText, out int iterationCount) || iterationCount > MaximumIterationCount)
        {
            return Fail(
                ScramError.IterationCountTooHigh,
                string.Create(CultureInfo.InvariantCulture, $"The server asks for more than the {MaximumIterationCount} iterations this client accepts."));
        }

        if (iterationCount < ScramVerifier.MinimumIterationCount)
        {
            return Fail(
                ScramError.IterationCountTooLow,
                string.Create(CultureInfo.InvariantCulture, $"The server asks for {iterationCount} iterations; at least {ScramVerifier.MinimumIterationCount} are required."));
        }

        ScramException? extensionError = SkipExtensions(ref reader, "server-first-message");
        if (extensionError is not null)
        {
            return extensionError;
        }

        if (_saltedPassword is not null
            && (iterationCount != _saltedPasswordIterationCount || !salt.AsSpan().SequenceEqual(_saltedPasswordSalt!)))
        {
            return Fail(ScramError.SaltedPasswordMismatch, "The server announced another salt or iteration count than the precomputed salted password was made with.");
        }

        if (_saltedPassword is null)
        {
            byte[] password = _password!;
            _saltedPassword = SaltedPasswords is SaltedPasswordCache cache
                ? cache.GetOrCompute(salt, iterationCount, () => Mechanism.ComputeSaltedPassword(password, salt, iterationCount))
                : Mechanism.ComputeSaltedPassword(password, salt, iterationCount);
            CryptographicOperations.ZeroMemory(_password);
            _password = null;
        }

        string clientFinalWithoutProof = $"c={ChannelBinding},r={nonce}";
        byte[] authMessage = ScramKeys.AuthMessage(_clientFirstMessageBare!, message, clientFinalWithoutProof);
        Span<byte> clientProof = stackalloc byte[Mechanism.HashSizeInBytes];
        _expectedServerSignature = new byte[Mechanism.HashSizeInBytes];
        ScramKeys.ComputeClientProof(Mechanism, _saltedPassword, authMessage, clientProof, _expectedServerSignature);
        CryptographicOperations.ZeroMemory(_saltedPassword);
        _saltedPassword = null;

        _state = State.ClientFinalSent;
        clientFinalMessage = $"{clientFinalWithoutProof},p={ScramBase64.Encode(clientProof)}";
        return null;
    }

    private ScramException? HandleServerFinal(string message)
    {
        if (_state != State.ClientFinalSent)
        {
            return Fail(ScramError.InvalidState, "A server-final-message is only expected right after the client-final-message.");
        }

        if (!StrictUtf8.IsWellFormed(message))
        {
            return Fail(ScramError.MalformedMessage, "The server-final-message is not well-formed Unicode.");
        }

        var reader = new ScramAttributeReader(message);
        if (!reader.TryRead(out char name, out ReadOnlySpan<char> value))
        {
            return Fail(ScramError.MalformedMessage, "The server-final-message must be v=<signature> or e=<error>.");
        }

        if (name == 'e')
        {
            return Fail(ScramError.ServerError, $"The server refused the authentication: {DescribeServerError(value)}.");
        }

        if (name != 'v')
        {
            return Fail(ScramError.MalformedMessage, "The server-final-message must be v=<signature> or e=<error>.");
        }

        if (!ScramBase64.TryDecode(value, out byte[]? serverSignature))
        {
            return Fail(ScramError.MalformedMessage, "The server signature is not canonical base64.");
        }

        ScramException? extensionError = SkipExtensions(ref reader, "server-final-message");
        if (extensionError is not null)
        {
            return extensionError;
        }

        // FixedTimeEquals is false for unequal lengths, which only reveals the public hash size.
        if (!CryptographicOperations.FixedTimeEquals(serverSignature, _expectedServerSignature))
        {
            return Fail(ScramError.ServerSignatureMismatch, "The server signature is wrong: the server does not know this user's verifier.");
        }

        _state = State.Authenticated;
        return null;
    }

    /// <summary>RFC 5802 7: unknown extensions after the known attributes are ignored, but must be well-formed, and m= is refused.</summary>
    private ScramException? SkipExtensions(ref ScramAttributeReader reader, string messageName)
    {
        while (!reader.IsAtEnd)
        {
            if (!reader.TryRead(out char name, out _))
            {
                return Fail(ScramError.MalformedMessage, $"The {messageName} has a malformed attribute.");
            }

            if (name == 'm')
            {
                return Fail(ScramError.ExtensionNotSupported, $"The {messageName} carries an m= extension, which is not supported.");
            }
        }

        return null;
    }

    /// <summary>Names the RFC's error values; anything else is not echoed, so logs carry no attacker text.</summary>
    private static string DescribeServerError(ReadOnlySpan<char> value)
    {
        if (value.Length > 64 || value.ContainsAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789-"))
        {
            return "an unrecognized error";
        }

        return $"e={value}";
    }

    private ScramException Fail(ScramError error, string message)
    {
        _state = State.Failed;
        if (_password is not null)
        {
            CryptographicOperations.ZeroMemory(_password);
            _password = null;
        }

        if (_saltedPassword is not null)
        {
            CryptographicOperations.ZeroMemory(_saltedPassword);
            _saltedPassword = null;
        }

        return new ScramException(error, message);
    }
}
