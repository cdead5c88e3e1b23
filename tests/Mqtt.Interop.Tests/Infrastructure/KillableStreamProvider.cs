using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace Mqtt.Interop.Tests;

/// <summary>Gives MQTTnet its TCP stream and keeps the socket, so a test can cut the connection under the client.</summary>
internal sealed class KillableStreamProvider : IMqttClientStreamProvider
{
    private Socket? _socket;

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(brokerEndPoint, cancellationToken);
        _socket = socket;
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Resets the TCP connection (linger 0): the broker sees the peer vanish without DISCONNECT.</summary>
    public void Kill()
    {
        Socket socket = _socket ?? throw new InvalidOperationException("not connected");
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
