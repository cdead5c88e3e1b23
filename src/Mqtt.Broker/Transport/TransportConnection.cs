using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Broker;

/// <summary>
/// One accepted connection as a duplex pipe (Bedrock style). The reader uses zero-byte reads, so an idle
/// connection holds no receive buffer; TLS is an <see cref="SslStream"/> under the same pipes.
/// </summary>
internal sealed class TransportConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;

    private TransportConnection(Socket socket, Stream stream, bool isTls)
    {
        _socket = socket;
        _stream = stream;
        IsTls = isTls;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 512, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public bool IsTls { get; }

    /// <summary>Wraps an accepted socket, running the TLS handshake first when a certificate is given.</summary>
    public static async Task<TransportConnection> StartAsync(Socket socket, X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        socket.NoDelay = true;
        var network = new NetworkStream(socket, ownsSocket: false);
        if (certificate is null)
        {
            return new TransportConnection(socket, network, isTls: false);
        }
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
        return new TransportConnection(socket, tls, isTls: true);
    }

    /// <summary>Stops both directions at once; pending reads and writes end.</summary>
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
        await Input.CompleteAsync();
        await Output.CompleteAsync();
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
