using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Broker;

/// <summary>
/// One accepted connection as a duplex pipe: <see cref="Input"/> and <see cref="Output"/> are our own small
/// <see cref="PipeReader"/> and <see cref="PipeWriter"/> directly over the socket, or over an <see cref="SslStream"/>
/// on it for TLS, with no <see cref="Pipe"/> and no buffer in between. For MQTT over WebSocket (MQTT 5.0 section 6)
/// the same two frame the bytes themselves: the reader decodes client frames in place (<see cref="WebSocketFrameDecoder"/>),
/// the writer sends each flush as one binary frame. An idle plain connection holds the socket's one
/// cached receive operation and nothing else (zero-byte reads wait for data without a buffer; sends are tried
/// synchronously first, so the socket only caches a send operation once it has had to wait).
/// <see cref="Abort"/> ends a pending receive or send.
/// </summary>
internal sealed class TransportConnection : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly X509Certificate2? _certificate;
    private readonly TransportPipeReader _input;
    private readonly TransportPipeWriter _output;
    private SslStream? _tls;
    private bool _upgraded;
    private int _closeFrameSent;

    /// <summary>
    /// A connection on <paramref name="socket"/>: TLS with <paramref name="certificate"/> when there is one, then
    /// WebSocket when <paramref name="isWebSocket"/>; <see cref="OpenAsync"/> runs those handshakes.
    /// </summary>
    public TransportConnection(Socket socket, X509Certificate2? certificate = null, bool isWebSocket = false)
    {
        _socket = socket;
        _certificate = certificate;
        WebSocketFrames = isWebSocket ? new WebSocketFrameDecoder() : null;
        _input = new TransportPipeReader(this);
        _output = new TransportPipeWriter(this);
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        socket.NoDelay = true;
        if (certificate is null && !isWebSocket)
        {
            UseNonBlockingSends();
        }
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public bool IsTls => _certificate is not null;

    /// <summary>The client's WebSocket frames, for a WebSocket connection; null otherwise.</summary>
    internal WebSocketFrameDecoder? WebSocketFrames { get; }

    /// <summary>Called when a control frame (a pong) waits to be sent: the owner has the writer flush.</summary>
    internal Action? ControlFrameWaiting { get; set; }

    /// <summary>The bytes received: one reader (the connection's read loop) at a time.</summary>
    public PipeReader Input => _input;

    /// <summary>The bytes to send: one writer (the outbound queue's drain) at a time; each flush sends.</summary>
    public PipeWriter Output => _output;

    /// <summary>Runs what comes before MQTT: the TLS handshake, then the WebSocket upgrade (a plain connection has neither); <see cref="Abort"/> ends it.</summary>
    public ValueTask OpenAsync() => _certificate is null && WebSocketFrames is null ? default : HandshakeAsync();

    private async ValueTask HandshakeAsync()
    {
        Stream stream = new NetworkStream(_socket, ownsSocket: false);
        if (_certificate is not null)
        {
            _tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await _tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate });
            stream = _tls;
        }
        if (WebSocketFrames is not null)
        {
            await WebSocketUpgrade.AcceptAsync(stream, CancellationToken.None);
            _upgraded = true;
            if (_tls is null)
            {
                // The upgrade was the NetworkStream's last use: from here on the socket is used directly.
                UseNonBlockingSends();
            }
        }
    }

    /// <summary>Only TrySend's synchronous Send sees this: it returns WouldBlock instead of waiting. Async calls ignore it.</summary>
    private void UseNonBlockingSends() => _socket.Blocking = false;

    /// <summary>
    /// Receives into <paramref name="buffer"/>; an empty buffer waits until data is there without taking any. 0 at end of
    /// stream. Over WebSocket the count is of MQTT bytes, decoded in place; a receive that brought only frame headers
    /// or control frames waits for more.
    /// </summary>
    internal ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        WebSocketFrames is null || buffer.IsEmpty ? ReceiveBytesAsync(buffer, cancellationToken) : ReceiveFramedAsync(buffer, cancellationToken);

    private ValueTask<int> ReceiveBytesAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : _tls.ReadAsync(buffer, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveFramedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        WebSocketFrameDecoder frames = WebSocketFrames!;
        while (!frames.CloseReceived)
        {
            int received = await ReceiveBytesAsync(buffer, cancellationToken);
            if (received == 0)
            {
                return 0;
            }
            int decoded = frames.Decode(buffer.Span[..received]);
            if (frames.TakePongNowWaiting())
            {
                ControlFrameWaiting?.Invoke();
            }
            if (decoded > 0)
            {
                return decoded;
            }
        }
        return 0;
    }

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

    /// <summary>
    /// Ends a WebSocket connection with a close frame: 1000 (a browser then reports a clean close), the client's own
    /// close code echoed, or why it failed (<see cref="WebSocketFrameDecoder.CloseStatus"/>: 1002 for a protocol error,
    /// RFC 6455 section 7.1.7), waiting at most <paramref name="timeout"/> for the peer to take it; nothing for other
    /// connections or before the upgrade. Call it once nothing else is sent.
    /// </summary>
    public async Task CloseWebSocketAsync(TimeSpan timeout)
    {
        // Once: the read loop's end and a close by the broker (a takeover, shutdown) may both get here.
        if (!_upgraded || Interlocked.Exchange(ref _closeFrameSent, 1) != 0)
        {
            return;
        }
        using var expiry = new CancellationTokenSource(timeout);
        try
        {
            await SendAsync(WebSocketFraming.CloseFrame(WebSocketFrames!.CloseStatus), expiry.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Bytes received and not read yet, 0 when that cannot be told (the socket closed).</summary>
    public int UnreadBytes
    {
        get
        {
            try
            {
                return _socket.Available;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return 0;
            }
        }
    }

    /// <summary>Stops both directions at once; pending receives and sends end.</summary>
    public void Abort() => Shutdown(SocketShutdown.Both);

    /// <summary>
    /// As <see cref="Abort"/>, and closing the socket then sends a TCP reset: for a peer that was told to go (FIN) and
    /// still has not closed. Some clients wait for more input after end of stream; the reset ends their wait.
    /// </summary>
    public void Reset()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        Abort();
    }

    /// <summary>Ends sending only (TCP FIN after what was sent): the client reads to the end; receiving goes on.</summary>
    public void ShutdownSend() => Shutdown(SocketShutdown.Send);

    private void Shutdown(SocketShutdown how)
    {
        try
        {
            _socket.Shutdown(how);
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
