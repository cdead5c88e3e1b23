namespace Mqtt.Client;

/// <summary>The server could not be reached: name resolution, TCP connection or TLS handshake failed.</summary>
public sealed class MqttTransportException : MqttException
{
    /// <summary>Creates the exception around the socket or TLS error.</summary>
    public MqttTransportException(string message, Exception innerException) : base(message, null, innerException)
    {
    }
}
