using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Broker;

/// <summary>Accepts TCP connections on one endpoint and hands each to the broker; they speak MQTT over TLS when there is a
/// certificate, and over WebSocket when <see cref="IsWebSocket"/>.</summary>
internal sealed class SocketListener : IDisposable
{
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;

    public SocketListener(IPEndPoint endPoint, X509Certificate2? certificate, bool isWebSocket)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            AllowRebindWhileOldConnectionsLinger(_socket);
            _socket.Bind(endPoint);
            _socket.Listen(); // the system's maximum backlog (net.core.somaxconn): a connection storm waits in it instead of retrying SYNs after 1 s
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new SocketException((int)e.SocketErrorCode, $"cannot listen on {endPoint}: {e.Message}");
        }
        Certificate = certificate;
        IsWebSocket = isWebSocket;
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>
    /// SO_REUSEADDR alone, so that a restarted broker binds while its old connections sit in TIME_WAIT but a second
    /// broker on the same port still fails with "address already in use". Not <see cref="SocketOptionName.ReuseAddress"/>:
    /// on Linux .NET maps it to SO_REUSEPORT as well, which lets two processes listen on one port and share its clients.
    /// </summary>
    private static void AllowRebindWhileOldConnectionsLinger(Socket socket)
    {
        const int SolSocket = 1, SoReuseAddr = 2; // Linux values; elsewhere the system default stands
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        }
    }

    /// <summary>The bound endpoint (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    public X509Certificate2? Certificate { get; }

    public bool IsTls => Certificate is not null;

    public bool IsWebSocket { get; }

    /// <summary>The endpoint as the broker reports it.</summary>
    public BrokerEndpoint Description => new(EndPoint, IsTls, IsWebSocket);

    public async Task AcceptLoopAsync(Action<Socket, SocketListener> onAccepted, Action<SocketException, SocketListener> onFailed,
        CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                // A connection that died in the backlog costs nothing to skip. Anything else, such as running out of
                // file descriptors, fails again at once while the connection waits: pause instead of spinning on it. An
                // aborted accept is the listener closing as the broker stops (the next one says so): no failure to report.
                if (e.SocketErrorCode is not (SocketError.ConnectionAborted or SocketError.ConnectionReset))
                {
                    if (e.SocketErrorCode != SocketError.OperationAborted)
                    {
                        onFailed(e, this);
                    }
                    await Task.Delay(AcceptRetryDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            onAccepted(accepted, this);
        }
    }

    public void Dispose() => _socket.Dispose();
}
