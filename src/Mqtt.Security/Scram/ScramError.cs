namespace Mqtt.Security.Scram;

/// <summary>Why a SCRAM exchange failed.</summary>
public enum ScramError
{
    /// <summary>The message does not follow the RFC 5802 syntax (or is not well-formed UTF-8 / UTF-16).</summary>
    MalformedMessage,

    /// <summary>The peer used an extension this implementation does not support, such as the reserved mandatory extension <c>m=</c>.</summary>
    ExtensionNotSupported,

    /// <summary>The client asked for channel binding (<c>p=</c> gs2 flag); this server offers no <c>-PLUS</c> mechanism.</summary>
    ChannelBindingNotSupported,

    /// <summary>The client-final <c>c=</c> attribute does not repeat the gs2 header of the client-first-message.</summary>
    ChannelBindingMismatch,

    /// <summary>The client asked to act as another identity (non-empty <c>a=</c> authzid), which is not supported.</summary>
    AuthorizationIdentityNotSupported,

    /// <summary>The nonce is not the expected one: the server's does not extend the client's, or the client-final repeats a different one.</summary>
    InvalidNonce,

    /// <summary>The server asked for fewer PBKDF2 iterations than <see cref="ScramVerifier.MinimumIterationCount"/>.</summary>
    IterationCountTooLow,

    /// <summary>The server asked for more PBKDF2 iterations than the client's <see cref="ScramClient.MaximumIterationCount"/>.</summary>
    IterationCountTooHigh,

    /// <summary>The client was given a precomputed salted password, and the server announced another salt or iteration count.</summary>
    SaltedPasswordMismatch,

    /// <summary>The client proof is wrong: wrong password, unknown user, or a tampered or replayed message.</summary>
    InvalidProof,

    /// <summary>The server signature is wrong: the server does not know the user's verifier, or the message was tampered with.</summary>
    ServerSignatureMismatch,

    /// <summary>The server ended the exchange with an <c>e=</c> server-error attribute.</summary>
    ServerError,

    /// <summary>A step was called out of order, or after the exchange had already succeeded or failed; exchanges are single-use.</summary>
    InvalidState,
}
