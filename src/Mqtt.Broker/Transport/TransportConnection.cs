using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Broker;

/// <summary>
/// One accepted connection as a duplex pipe: <see cref="Input"/> and <see cref="Output"/> are our own small
/// <see cref="PipeReader"/> and <see cref="PipeWriter"/> directly over the socket, or over an <see cref="SslStream"/>
/// on it for TLS, with no <see cref="Pipe"/> and no buffer in between. An idle plain connection holds the socket's one
/// cached receive operation and nothing else (zero-byte reads wait for data without a buffer; sends are tried
/// synchronously first, so the socket only caches a send operation once it has had to wait).
/// <see cref="Abort"/> ends a pending receive or send.
/// </summary>
internal sealed class TransportConnection : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly TransportPipeReader _input;
    private readonly TransportPipeWriter _output;
    private SslStream? _tls;

    public TransportConnection(Socket socket, bool isTls)
    {
        _socket = socket;
        _input = new TransportPipeReader(this);
        _output = new TransportPipeWriter(this);
        IsTls = isTls;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        socket.NoDelay = true;
        if (!isTls)
        {
            // Only TrySend's synchronous Send sees this: it returns WouldBlock instead of waiting. Async calls ignore it.
            socket.Blocking = false;
        }
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public bool IsTls { get; }

    /// <summary>The bytes received: one reader (the connection's read loop) at a time.</summary>
    public PipeReader Input => _input;

    /// <summary>The bytes to send: one writer (the outbound queue's drain) at a time; each flush sends.</summary>
    public PipeWriter Output => _output;

    /// <summary>Runs the TLS handshake (a plain connection has none); <see cref="Abort"/> ends it.</summary>
    public async Task HandshakeAsync(X509Certificate2 certificate)
    {
        var tls = new SslStream(new NetworkStream(_socket, ownsSocket: false), leaveInnerStreamOpen: false);
        _tls = tls;
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
    }

    /// <summary>Receives into <paramref name="buffer"/>; an empty buffer waits until data is there without taking any. 0 at end of stream.</summary>
    internal ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : _tls.ReadAsync(buffer, cancellationToken);

    /// <summary>Sends what the socket takes without waiting: the count sent, possibly 0 (always 0 for TLS).</summary>
    internal int TrySend(ReadOnlySpan<byte> bytes)
    {
        if (_tls is not null)
        {
            return 0;
        }
        int sent = _socket.Send(bytes, SocketFlags.None, out SocketError error);
        return error switch
        {
            SocketError.Success => sent,
            SocketError.WouldBlock => 0,
            _ => throw new SocketException((int)error),
        };
    }

    /// <summary>Sends all of <paramref name="bytes"/>, waiting as long as the peer does not read.</summary>
    internal async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_tls is not null)
        {
            await _tls.WriteAsync(bytes, cancellationToken);
            return;
        }
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            if (sent <= 0)
            {
                throw new IOException("the socket sent nothing");
            }
            bytes = bytes[sent..];
        }
    }

    /// <summary>Stops both directions at once; pending receives and sends end.</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            await _tls.DisposeAsync();
        }
        _socket.Dispose();
    }
}
