using Mqtt.Security.EndToEnd;

namespace Mqtt.Client.EndToEnd;

/// <summary>One result of <see cref="EndToEndChannel.ReadAsync"/>: an opened message, a duplicate or a refusal.</summary>
public sealed class EndToEndMessage
{
    /// <summary>What happened.</summary>
    public required EndToEndMessageKind Kind { get; init; }

    /// <summary>The sender, taken from the first topic level (or the user whose announcement was refused).</summary>
    public required string Sender { get; init; }

    /// <summary>The topic the envelope or announcement came on.</summary>
    public required string Topic { get; init; }

    /// <summary>The opened text; empty unless <see cref="Kind"/> is <see cref="EndToEndMessageKind.Message"/>.</summary>
    public ReadOnlyMemory<byte> Plaintext { get; init; }

    /// <summary>The typed reason for a duplicate or a failure; <see cref="E2eError.None"/> for a message.</summary>
    public E2eError Error { get; init; }

    /// <summary>
    /// What pinning the sender's key while opening this envelope did, when it was not pinned before: its first
    /// announcement arrived after the channel started (<see cref="TrustResult.FirstUse"/>: show the fingerprint), or it
    /// rotated its agreement key. Null when the key in use was already pinned.
    /// </summary>
    public TrustResult? Trust { get; init; }

    /// <summary>A one-line English explanation of <see cref="Error"/> (with both fingerprints for a changed key).</summary>
    public string Description { get; init; } = "";
}
