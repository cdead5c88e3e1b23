using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Client;

/// <summary>
/// One network connection: a TCP socket (no Nagle delay), TLS when asked, and pipes over the stream; or a WebSocket
/// (over TLS when asked) whose binary messages carry the stream (MQTT 5.0 section 6).
/// </summary>
internal sealed class MqttTransport : IAsyncDisposable
{
    private readonly Stream _stream;

    private MqttTransport(Stream stream)
    {
        _stream = stream;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4 * 1024, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public static async Task<MqttTransport> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        if (options.WebSocketPath is not null)
        {
            return await ConnectWebSocketAsync(options, cancellationToken).ConfigureAwait(false);
        }
        string host = options.Host;
        int port = options.EffectivePort;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new MqttTransportException($"cannot reach {host}:{port}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        if (!options.UseTls)
        {
            return new MqttTransport(stream);
        }
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            X509Certificate2Collection? roots = options.CaFile is null ? null : LoadRoots(options.CaFile);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    options.AllowUntrustedCertificates || IsTrusted(certificate, errors, roots),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new MqttTransportException($"TLS handshake with {host}:{port} failed: {e.Message}", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new MqttTransport(ssl);
    }

    /// <summary>
    /// Opens a WebSocket offering the subprotocol "mqtt" [MQTT-6.0.0-3] and requires the server to select it
    /// [MQTT-6.0.0-4]; every flush is then one binary message [MQTT-6.0.0-1]. TLS is checked as for TCP.
    /// </summary>
    private static async Task<MqttTransport> ConnectWebSocketAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        Uri uri = options.WebSocketUri;
        var webSocket = new ClientWebSocket();
        webSocket.Options.AddSubProtocol("mqtt");
        // MQTT's Keep Alive checks the connection: no WebSocket pings of ours.
        webSocket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (options.UseTls)
        {
            X509Certificate2Collection? roots = options.CaFile is null ? null : LoadRoots(options.CaFile);
            webSocket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                options.AllowUntrustedCertificates || IsTrusted(certificate, errors, roots);
        }
        try
        {
            await webSocket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            webSocket.Dispose();
            throw new MqttTransportException($"cannot open a WebSocket to {uri}: {e.InnerException?.Message ?? e.Message}", e);
        }
        catch
        {
            webSocket.Dispose();
            throw;
        }
        if (webSocket.SubProtocol != "mqtt")
        {
            webSocket.Abort();
            webSocket.Dispose();
            throw new MqttTransportException($"the server at {uri} did not select the WebSocket subprotocol mqtt [MQTT-6.0.0-4]");
        }
        return new MqttTransport(WebSocketStream.Create(webSocket, WebSocketMessageType.Binary, ownsWebSocket: true));
    }

    /// <summary>Closes the connection; pending reads and writes fail.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or WebSocketException)
        {
            // Closing a broken connection may fail to flush TLS close_notify or a WebSocket close frame: nothing left to do.
        }
    }

    private static X509Certificate2Collection LoadRoots(string caFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new MqttTransportException($"cannot read CA file {caFile}: {e.Message}", e);
        }
        return roots;
    }

    /// <summary>With a CA file, the chain must end at one of its certificates; the host name must match either way.</summary>
    private static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (roots is null || certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
