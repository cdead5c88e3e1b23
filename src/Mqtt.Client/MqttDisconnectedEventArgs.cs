using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>Why a connection ended.</summary>
public sealed class MqttDisconnectedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    public MqttDisconnectedEventArgs(Exception? exception, bool willReconnect)
    {
        Exception = exception;
        WillReconnect = willReconnect;
    }

    /// <summary>Null after <see cref="MqttClient.DisconnectAsync(ReasonCode, CancellationToken)"/>; otherwise what went wrong
    /// (a <see cref="MqttConnectionLostException"/> carries the server's DISCONNECT reason code).</summary>
    public Exception? Exception { get; }

    /// <summary>True when automatic reconnection will try to restore the connection.</summary>
    public bool WillReconnect { get; }
}
