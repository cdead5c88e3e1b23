using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>Receives what a connection's read loop finds: each packet (other than PINGRESP) and the end of the connection.</summary>
internal interface IFrameHandler
{
    /// <summary>Handles one packet; the frame's bytes are valid only until the returned task completes.</summary>
    ValueTask OnFrameAsync(MqttConnection connection, MqttFrame frame);

    /// <summary>The connection closed; <paramref name="reason"/> is null after a requested disconnect.</summary>
    void OnClosed(MqttConnection connection, Exception? reason);
}
