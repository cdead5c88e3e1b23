namespace Mqtt.Client;

/// <summary>The server could not be reached: name resolution, TCP connection, TLS or WebSocket handshake failed.</summary>
public sealed class MqttTransportException : MqttException
{
    /// <summary>Creates the exception around the socket, TLS or WebSocket error.</summary>
    public MqttTransportException(string message, Exception innerException) : base(message, null, innerException)
    {
    }

    /// <summary>Creates the exception for a handshake the client refused itself.</summary>
    public MqttTransportException(string message) : base(message, null, null)
    {
    }
}
