using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// The connection is gone or was never made: the server sent DISCONNECT (its reason code is <see cref="MqttException.ReasonCode"/>),
/// closed the network connection, or stopped answering (keep alive).
/// </summary>
public sealed class MqttConnectionLostException : MqttException
{
    /// <summary>Creates the exception.</summary>
    public MqttConnectionLostException(string message, ReasonCode? reasonCode = null, Exception? innerException = null)
        : base(message, reasonCode, innerException)
    {
    }
}
