using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace Mqtt.Security.Scram;

/// <summary>
/// The server side of one SCRAM exchange (RFC 5802). The broker drives it in three steps:
/// <list type="number">
/// <item><see cref="TryReceiveClientFirst(string, out ScramException?)"/> parses the client-first-message and exposes <see cref="UserName"/>;</item>
/// <item>the broker looks the name up and passes the user's verifier, or <see cref="ScramVerifier.CreateDecoy"/>
/// for an unknown name, to <see cref="CreateServerFirstMessage"/>;</item>
/// <item><see cref="TryCreateServerFinalMessage(string, out string?, out ScramException?)"/> checks the proof and returns <c>v=&lt;ServerSignature&gt;</c>.</item>
/// </list>
/// </summary>
/// <remarks>
/// An instance is single-use: once a step fails or the exchange succeeds, every further step fails
/// with <see cref="ScramError.InvalidState"/>. Each instance draws a fresh server nonce, so a
/// client-final-message replayed from another exchange fails with <see cref="ScramError.InvalidNonce"/>.
/// An unknown user (decoy verifier) and a wrong password both fail with <see cref="ScramError.InvalidProof"/>.
/// Channel binding and authorization identities are not supported.
/// </remarks>
public sealed class ScramServer
{
    /// <summary>
    /// Longest client nonce accepted, in characters; a longer one is a malformed client-first-message. Ours sends 32;
    /// the nonce is echoed in every later message and kept for the exchange, so its size must not be the client's choice.
    /// </summary>
    public const int MaximumClientNonceLength = 256;

    private readonly string _serverNonce;
    private string? _gs2Header;
    private string? _clientNonce;
    private string? _clientFirstMessageBare;
    private string? _serverFirstMessage;
    private string? _nonce;
    private ScramVerifier? _verifier;
    private State _state;

    /// <summary>Starts an exchange.</summary>
    /// <param name="mechanism">The mechanism named by the MQTT Authentication Method.</param>
    /// <param name="serverNonce">A fixed server part of the nonce for tests; null (the default) draws a fresh one from a CSPRNG.</param>
    /// <exception cref="ArgumentException">The given nonce is not printable ASCII without comma.</exception>
    public ScramServer(ScramMechanism mechanism, string? serverNonce = null)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        if (serverNonce is not null && !ScramNonce.IsPrintable(serverNonce))
        {
            throw new ArgumentException("The nonce must be printable ASCII without comma.", nameof(serverNonce));
        }

        Mechanism = mechanism;
        _serverNonce = serverNonce ?? ScramNonce.Create();
    }

    private enum State
    {
        Initial,
        ClientFirstReceived,
        ServerFirstSent,
        Authenticated,
        Failed,
    }

    /// <summary>The mechanism of this exchange.</summary>
    public ScramMechanism Mechanism { get; }

    /// <summary>
    /// The user name from the client-first-message, unescaped; null before it was received. Not yet
    /// authenticated, and not checked against <see cref="Mqtt.Security.UserName.IsValid(string?)"/>: the broker does both.
    /// </summary>
    public string? UserName { get; private set; }

    /// <summary>True once a client proof has been verified.</summary>
    public bool IsAuthenticated => _state == State.Authenticated;

    /// <summary>
    /// Parses the client-first-message strictly: gs2 header <c>n,,</c> or <c>y,,</c> (<c>p=</c> channel binding
    /// and a non-empty <c>a=</c> authzid are refused), then <c>n=&lt;saslname&gt;,r=&lt;nonce&gt;</c>, no <c>m=</c>.
    /// </summary>
    /// <param name="clientFirstMessage">The client-first-message (MQTT CONNECT or AUTH Authentication Data).</param>
    /// <param name="error">Why it was refused, on failure.</param>
    /// <returns>True when <see cref="UserName"/> is now available.</returns>
    public bool TryReceiveClientFirst(string clientFirstMessage, [NotNullWhen(false)] out ScramException? error)
    {
        ArgumentNullException.ThrowIfNull(clientFirstMessage);
        error = HandleClientFirst(clientFirstMessage);
        return error is null;
    }

    /// <summary>As <see cref="TryReceiveClientFirst(string, out ScramException?)"/>, from the raw UTF-8 Authentication Data.</summary>
    /// <param name="clientFirstMessage">The client-first-message in UTF-8.</param>
    /// <param name="error">Why it was refused, on failure; invalid UTF-8 is <see cref="ScramError.MalformedMessage"/>.</param>
    /// <returns>True when <see cref="UserName"/> is now available.</returns>
    public bool TryReceiveClientFirst(ReadOnlySpan<byte> clientFirstMessage, [NotNullWhen(false)] out ScramException? error)
    {
        if (!StrictUtf8.TryGetString(clientFirstMessage, out string? text))
        {
            error = Fail(ScramError.MalformedMessage, "The client-first-message is not valid UTF-8.");
            return false;
        }

        return TryReceiveClientFirst(text, out error);
    }

    /// <summary>As <see cref="TryReceiveClientFirst(string, out ScramException?)"/>, throwing on failure.</summary>
    /// <param name="clientFirstMessage">The client-first-message.</param>
    /// <exception cref="ScramException">The message is refused or the step is out of order.</exception>
    public void ReceiveClientFirst(string clientFirstMessage)
    {
        if (!TryReceiveClientFirst(clientFirstMessage, out ScramException? error))
        {
            throw error;
        }
    }

    /// <summary>
    /// Creates the server-first-message <c>r=&lt;client nonce + server nonce&gt;,s=&lt;salt&gt;,i=&lt;iterations&gt;</c>
    /// from the verifier of <see cref="UserName"/>, or from a decoy when the user is unknown.
    /// </summary>
    /// <param name="verifier">The user's verifier for <see cref="Mechanism"/>, or <see cref="ScramVerifier.CreateDecoy"/>.</param>
    /// <returns>The server-first-message (MQTT AUTH Authentication Data).</returns>
    /// <exception cref="ArgumentException">The verifier is for another mechanism.</exception>
    /// <exception cref="ScramException">No client-first-message was received, or this step already ran (<see cref="ScramError.InvalidState"/>).</exception>
    public string CreateServerFirstMessage(ScramVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        if (verifier.Mechanism != Mechanism)
        {
            throw new ArgumentException($"The verifier is for {verifier.Mechanism.Name}, but this exchange uses {Mechanism.Name}.", nameof(verifier));
        }

        if (_state != State.ClientFirstReceived)
        {
            throw Fail(ScramError.InvalidState, "A server-first-message can only be created once, right after the client-first-message.");
        }

        _verifier = verifier;
        _nonce = _clientNonce + _serverNonce;
        _serverFirstMessage = string.Create(
            CultureInfo.InvariantCulture,
            $"r={_nonce},s={ScramBase64.Encode(verifier.Salt)},i={verifier.IterationCount}");
        _state = State.ServerFirstSent;
        return _serverFirstMessage;
    }

    /// <summary>
    /// Parses the client-final-message strictly (<c>c=</c> repeats the gs2 header, <c>r=</c> is this exchange's
    /// nonce, <c>p=</c> comes next and last), verifies the proof in constant time and creates the
    /// server-final-message <c>v=&lt;ServerSignature&gt;</c>.
    /// </summary>
    /// <param name="clientFinalMessage">The client-final-message (MQTT AUTH Authentication Data).</param>
    /// <param name="serverFinalMessage">The server-final-message for the CONNACK (or AUTH 0x00), on success.</param>
    /// <param name="error">Why it was refused, on failure; a wrong password and an unknown user both give <see cref="ScramError.InvalidProof"/>.</param>
    /// <returns>True when the client is authenticated.</returns>
    public bool TryCreateServerFinalMessage(
        string clientFinalMessage,
        [NotNullWhen(true)] out string? serverFinalMessage,
        [NotNullWhen(false)] out ScramException? error)
    {
        ArgumentNullException.ThrowIfNull(clientFinalMessage);
        error = HandleClientFinal(clientFinalMessage, out serverFinalMessage);
        return error is null;
    }

    /// <summary>As <see cref="TryCreateServerFinalMessage(string, out string?, out ScramException?)"/>, from the raw UTF-8 Authentication Data.</summary>
    /// <param name="clientFinalMessage">The client-final-message in UTF-8.</param>
    /// <param name="serverFinalMessage">The server-final-message, on success.</param>
    /// <param name="error">Why it was refused, on failure; invalid UTF-8 is <see cref="ScramError.MalformedMessage"/>.</param>
    /// <returns>True when the client is authenticated.</returns>
    public bool TryCreateServerFinalMessage(
        ReadOnlySpan<byte> clientFinalMessage,
        [NotNullWhen(true)] out string? serverFinalMessage,
        [NotNullWhen(false)] out ScramException? error)
    {
        if (!StrictUtf8.TryGetString(clientFinalMessage, out string? text))
        {
            serverFinalMessage = null;
            error = Fail(ScramError.MalformedMessage, "The client-final-message is not valid UTF-8.");
            return false;
        }

        return TryCreateServerFinalMessage(text, out serverFinalMessage, out error);
    }

    /// <summary>As <see cref="TryCreateServerFinalMessage(string, out string?, out ScramException?)"/>, throwing on failure.</summary>
    /// <param name="clientFinalMessage">The client-final-message.</param>
    /// <returns>The server-final-message.</returns>
    /// <exception cref="ScramException">The message or proof is refused, or the step is out of order.</exception>
    public string CreateServerFinalMessage(string clientFinalMessage)
    {
        return TryCreateServerFinalMessage(clientFinalMessage, out string? serverFinalMessage, out ScramException? error)
            ? serverFinalMessage
            : throw error;
    }

    private ScramException? HandleClientFirst(string message)
    {
        if (_state != State.Initial)
        {
            return Fail(ScramError.InvalidState, "A client-first-message was already received; an exchange is single-use.");
        }

        if (!StrictUtf8.IsWellFormed(message))
        {
            return Fail(ScramError.MalformedMessage, "The client-first-message is not well-formed Unicode.");
        }

        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        int flagEnd = message.IndexOf(',');
        if (flagEnd < 0)
        {
            return Fail(ScramError.MalformedMessage, "The client-first-message has no gs2 header.");
        }

        ReadOnlySpan<char> flag = message.AsSpan(0, flagEnd);
        if (flag.StartsWith("p=", StringComparison.Ordinal))
        {
            return Fail(ScramError.ChannelBindingNotSupported, "The client requires channel binding, which this server does not support.");
        }

        if (!flag.SequenceEqual("n") && !flag.SequenceEqual("y"))
        {
            return Fail(ScramError.MalformedMessage, "The gs2 channel binding flag must be n or y.");
        }

        int authzidEnd = message.IndexOf(',', flagEnd + 1);
        if (authzidEnd < 0)
        {
            return Fail(ScramError.MalformedMessage, "The gs2 header is not terminated.");
        }

        ReadOnlySpan<char> authzid = message.AsSpan(flagEnd + 1, authzidEnd - flagEnd - 1);
        if (authzid.StartsWith("a=", StringComparison.Ordinal))
        {
            return Fail(ScramError.AuthorizationIdentityNotSupported, "The client asks to act as another identity (a=), which is not supported.");
        }

        if (!authzid.IsEmpty)
        {
            return Fail(ScramError.MalformedMessage, "The gs2 header has an unknown field where the authzid belongs.");
        }

        string bare = message[(authzidEnd + 1)..];
        var reader = new ScramAttributeReader(bare);
        if (!reader.TryRead(out char name, out ReadOnlySpan<char> saslName))
        {
            return Fail(ScramError.MalformedMessage, "The client-first-message must continue with n=<user name>.");
        }

        if (name == 'm')
        {
            return Fail(ScramError.ExtensionNotSupported, "The client requires an m= extension, which is not supported.");
        }

        if (name != 'n')
        {
            return Fail(ScramError.MalformedMessage, "The client-first-message must continue with n=<user name>.");
        }

        if (!SaslName.TryUnescape(saslName, out string? userName))
        {
            return Fail(ScramError.MalformedMessage, "The user name is not a valid saslname ('=' must be followed by 2C or 3D).");
        }

        if (!reader.TryRead(out name, out ReadOnlySpan<char> clientNonce) || name != 'r' || !ScramNonce.IsPrintable(clientNonce)
            || clientNonce.Length > MaximumClientNonceLength)
        {
            return Fail(ScramError.MalformedMessage, "The user name must be followed by a printable r= nonce of at most 256 characters.");
        }

        while (!reader.IsAtEnd)
        {
            if (!reader.TryRead(out name, out _))
            {
                return Fail(ScramError.MalformedMessage, "The client-first-message has a malformed attribute.");
            }

            if (name == 'm')
            {
                return Fail(ScramError.ExtensionNotSupported, "The client-first-message carries an m= extension, which is not supported.");
            }
        }

        _gs2Header = message[..(authzidEnd + 1)];
        _clientFirstMessageBare = bare;
        _clientNonce = clientNonce.ToString();
        UserName = userName;
        _state = State.ClientFirstReceived;
        return null;
    }

    private ScramException? HandleClientFinal(string message, out string? serverFinalMessage)
    {
        serverFinalMessage = null;
        if (_state != State.ServerFirstSent)
        {
            return Fail(ScramError.InvalidState, "A client-final-message is only expected right after the server-first-message.");
        }

        if (!StrictUtf8.IsWellFormed(message))
        {
            return Fail(ScramError.MalformedMessage, "The client-final-message is not well-formed Unicode.");
        }

        var reader = new ScramAttributeReader(message);
        if (!reader.TryRead(out char name, out ReadOnlySpan<char> channelBinding) || name != 'c')
        {
            return Fail(ScramError.MalformedMessage, "The client-final-message must start with c=<channel binding>.");
        }

        if (!ScramBase64.TryDecode(channelBinding, out byte[]? gs2Header))
        {
            return Fail(ScramError.MalformedMessage, "The c= channel binding is not canonical base64.");
        }

        // Without channel binding, c= is exactly base64(gs2 header) (RFC 5802 section 7).
        if (!gs2Header.AsSpan().SequenceEqual(StrictUtf8.GetBytes(_gs2Header!)))
        {
            return Fail(ScramError.ChannelBindingMismatch, "The c= channel binding does not repeat the gs2 header of the client-first-message.");
        }

        if (!reader.TryRead(out name, out ReadOnlySpan<char> nonce) || name != 'r')
        {
            return Fail(ScramError.MalformedMessage, "The channel binding must be followed by the r= nonce.");
        }

        if (!nonce.SequenceEqual(_nonce))
        {
            return Fail(ScramError.InvalidNonce, "The nonce is not this exchange's; the message is stale or replayed.");
        }

        if (!reader.TryRead(out name, out ReadOnlySpan<char> proofText))
        {
            return Fail(ScramError.MalformedMessage, "The nonce must be followed by the p= proof.");
        }

        int proofStart = reader.AttributeStart;
        if (name != 'p')
        {
            return Fail(ScramError.ExtensionNotSupported, "Extensions before the p= proof are not supported.");
        }

        if (!reader.IsAtEnd)
        {
            return Fail(ScramError.MalformedMessage, "The p= proof must be the last attribute.");
        }

        if (!ScramBase64.TryDecode(proofText, out byte[]? clientProof) || clientProof.Length != Mechanism.HashSizeInBytes)
        {
            return Fail(
                ScramError.MalformedMessage,
                string.Create(CultureInfo.InvariantCulture, $"The proof must be {Mechanism.HashSizeInBytes} bytes of canonical base64."));
        }

        string clientFinalWithoutProof = message[..(proofStart - 1)];
        byte[] authMessage = ScramKeys.AuthMessage(_clientFirstMessageBare!, _serverFirstMessage!, clientFinalWithoutProof);
        ScramVerifier verifier = _verifier!;
        if (!ScramKeys.VerifyClientProof(Mechanism, verifier.StoredKey, authMessage, clientProof))
        {
            return Fail(ScramError.InvalidProof, "The client proof is invalid.");
        }

        Span<byte> serverSignature = stackalloc byte[Mechanism.HashSizeInBytes];
        Mechanism.Hmac(verifier.ServerKey, authMessage, serverSignature);
        _state = State.Authenticated;
        _verifier = null;
        serverFinalMessage = "v=" + ScramBase64.Encode(serverSignature);
        return null;
    }

    private ScramException Fail(ScramError error, string message)
    {
        _state = State.Failed;
        _verifier = null;
        return new ScramException(error, message);
    }
}
