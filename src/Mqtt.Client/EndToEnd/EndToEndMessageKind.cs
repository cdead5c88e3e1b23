namespace Mqtt.Client.EndToEnd;

/// <summary>What <see cref="EndToEndChannel.ReadAsync"/> surfaced.</summary>
public enum EndToEndMessageKind
{
    /// <summary>An envelope opened and authenticated: <see cref="EndToEndMessage.Plaintext"/> holds the text.</summary>
    Message = 1,

    /// <summary>An envelope accepted before (a replay or a QoS 1 redelivery): discard it, warn, never show it twice.</summary>
    Duplicate,

    /// <summary>An envelope or announcement refused: <see cref="EndToEndMessage.Error"/> says why; there is no plaintext.</summary>
    Failure,
}
