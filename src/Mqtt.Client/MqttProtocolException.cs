using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// The server broke the protocol (a malformed packet, a packet out of place, a limit exceeded). The client
/// closed the connection, after a DISCONNECT with <see cref="MqttException.ReasonCode"/> in MQTT 5.
/// </summary>
public sealed class MqttProtocolException : MqttException
{
    /// <summary>Creates the exception with the reason code the client disconnects with.</summary>
    public MqttProtocolException(ReasonCode reasonCode, string message)
        : base($"protocol violation by the server, disconnecting with {MqttReasonCodeText.Format(reasonCode)}: {message}", reasonCode)
    {
    }
}
