namespace Mqtt.Codec;

/// <summary>Subscription option saying when retained messages are sent on subscribe (MQTT 5 3.8.3.1).</summary>
public enum RetainHandling : byte
{
    /// <summary>Send retained messages at the time of the subscribe.</summary>
    SendOnSubscribe = 0,
    /// <summary>Send retained messages only if the subscription did not already exist.</summary>
    SendOnNewSubscription = 1,
    /// <summary>Do not send retained messages on subscribe.</summary>
    DoNotSend = 2,
}
