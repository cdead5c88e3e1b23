using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>Base of the client's exceptions; <see cref="ReasonCode"/> is the MQTT reason code involved, when there is one.</summary>
public class MqttException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MqttException(string message, ReasonCode? reasonCode = null, Exception? innerException = null)
        : base(message, innerException) => ReasonCode = reasonCode;

    /// <summary>The reason code that was received or sent, if any.</summary>
    public ReasonCode? ReasonCode { get; }
}
