using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Broker;

/// <summary>
/// One accepted connection as a duplex pipe: <see cref="Input"/> and <see cref="Output"/> are our own small
/// <see cref="PipeReader"/> and <see cref="PipeWriter"/> directly over the socket, or over an <see cref="SslStream"/>
/// on it for TLS, or over a <see cref="WebSocket"/> (MQTT 5.0 section 6) on either, with no <see cref="Pipe"/> and no
/// buffer in between. An idle plain connection holds the socket's one
/// cached receive operation and nothing else (zero-byte reads wait for data without a buffer; sends are tried
/// synchronously first, so the socket only caches a send operation once it has had to wait).
/// <see cref="Abort"/> ends a pending receive or send.
/// </summary>
internal sealed class TransportConnection : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly X509Certificate2? _certificate;
    private readonly bool _isWebSocket;
    private readonly TransportPipeReader _input;
    private readonly TransportPipeWriter _output;
    private SslStream? _tls;
    private WebSocket? _webSocket;
    private bool _webSocketCloseReceived;

    /// <summary>
    /// A connection on <paramref name="socket"/>: TLS with <paramref name="certificate"/> when there is one, then
    /// WebSocket when <paramref name="isWebSocket"/>; <see cref="OpenAsync"/> runs those handshakes.
    /// </summary>
    public TransportConnection(Socket socket, X509Certificate2? certificate = null, bool isWebSocket = false)
    {
        _socket = socket;
        _certificate = certificate;
        _isWebSocket = isWebSocket;
        _input = new TransportPipeReader(this);
        _output = new TransportPipeWriter(this);
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        socket.NoDelay = true;
        if (SendsOnSocket)
        {
            // Only TrySend's synchronous Send sees this: it returns WouldBlock instead of waiting. Async calls ignore it.
            // (A NetworkStream, under TLS or WebSocket, needs a blocking socket.)
            socket.Blocking = false;
        }
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public bool IsTls => _certificate is not null;

    /// <summary>The bytes go straight to and from the socket: no TLS, no WebSocket framing.</summary>
    private bool SendsOnSocket => _certificate is null && !_isWebSocket;

    /// <summary>The bytes received: one reader (the connection's read loop) at a time.</summary>
    public PipeReader Input => _input;

    /// <summary>The bytes to send: one writer (the outbound queue's drain) at a time; each flush sends.</summary>
    public PipeWriter Output => _output;

    /// <summary>Runs what comes before MQTT: the TLS handshake, then the WebSocket upgrade (a plain connection has neither); <see cref="Abort"/> ends it.</summary>
    public ValueTask OpenAsync() => SendsOnSocket ? default : HandshakeAsync();

    private async ValueTask HandshakeAsync()
    {
        Stream stream = new NetworkStream(_socket, ownsSocket: false);
        if (_certificate is not null)
        {
            _tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await _tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate });
            stream = _tls;
        }
        if (_isWebSocket)
        {
            string? subprotocol = await WebSocketUpgrade.AcceptAsync(stream, CancellationToken.None);
            // MQTT has its own keep alive: no WebSocket pings of ours.
            _webSocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = subprotocol,
                KeepAliveInterval = TimeSpan.Zero,
            });
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>; an empty buffer waits until data is there without taking any. 0 at end of stream.</summary>
    internal ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_webSocket is not null)
        {
            return ReceiveWebSocketAsync(_webSocket, buffer, cancellationToken);
        }
        return _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : _tls.ReadAsync(buffer, cancellationToken);
    }

    /// <summary>
    /// The bytes of binary messages, as one stream: MQTT packets may span frames or share one [MQTT-6.0.0-2]. A close
    /// frame ends the stream; a text frame ends the connection [MQTT-6.0.0-1].
    /// </summary>
    private async ValueTask<int> ReceiveWebSocketAsync(WebSocket webSocket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!_webSocketCloseReceived)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await webSocket.ReceiveAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (IsWebSocketFailure(e, cancellationToken))
            {
                throw WebSocketFailed(e);
            }
            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    _webSocketCloseReceived = true;
                    break;
                case WebSocketMessageType.Text:
                    throw new IOException("[MQTT-6.0.0-1] a WebSocket text frame: MQTT is sent in binary frames only");
                default:
                    // An empty binary frame carries nothing: wait for the next one rather than report end of stream.
                    if (result.Count > 0 || buffer.IsEmpty)
                    {
                        return result.Count;
                    }
                    break;
            }
        }
        return 0;
    }

    /// <summary>
    /// A WebSocket that failed: a protocol error from the peer (unmasked or malformed frame), or one already aborted,
    /// which reports a cancellation nobody asked for. Either is a broken connection, as a socket error is.
    /// </summary>
    private static bool IsWebSocketFailure(Exception e, CancellationToken cancellationToken) =>
        e is WebSocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Presents a WebSocket failure as the <see cref="IOException"/> every transport reports for a lost connection.</summary>
    private static IOException WebSocketFailed(Exception e) => new($"the WebSocket connection failed: {e.Message}", e);

    /// <summary>Sends what the socket takes without waiting: the count sent, possibly 0 (always 0 for TLS and WebSocket).</summary>
    internal int TrySend(ReadOnlySpan<byte> bytes)
    {
        if (!SendsOnSocket)
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
        if (_webSocket is not null)
        {
            try
            {
                // One binary message per flush [MQTT-6.0.0-1].
                await _webSocket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            }
            catch (Exception e) when (IsWebSocketFailure(e, cancellationToken))
            {
                throw WebSocketFailed(e);
            }
            return;
        }
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

    /// <summary>
    /// Ends a WebSocket connection with a close frame (a browser then reports a clean close), waiting at most
    /// <paramref name="timeout"/> for the peer to take it; nothing for other connections. Call it once nothing else is sent.
    /// </summary>
    public async Task CloseWebSocketAsync(TimeSpan timeout)
    {
        if (_webSocket is not { State: WebSocketState.Open or WebSocketState.CloseReceived })
        {
            return;
        }
        using var expiry = new CancellationTokenSource(timeout);
        try
        {
            await _webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, expiry.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
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
        _webSocket?.Dispose();
        if (_tls is not null)
        {
            await _tls.DisposeAsync();
        }
        _socket.Dispose();
    }
}
