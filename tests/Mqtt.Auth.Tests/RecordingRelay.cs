using System.Net;
using System.Net.Sockets;

namespace Mqtt.Auth.Tests;

/// <summary>
/// A passive eavesdropper: a TCP relay on 127.0.0.1 that forwards one connection to the broker and keeps every byte
/// that crossed it, both directions, for tests about what recorded traffic reveals.
/// </summary>
internal sealed class RecordingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly MemoryStream _recorded = new();
    private readonly Lock _gate = new();
    private Task? _relaying;

    private RecordingRelay(IPEndPoint target) => _target = target;

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public static RecordingRelay Start(IPEndPoint target)
    {
        var relay = new RecordingRelay(target);
        relay._listener.Start();
        relay._relaying = relay.RelayOneAsync();
        return relay;
    }

    /// <summary>Everything relayed so far, both directions interleaved in arrival order.</summary>
    public byte[] Recorded()
    {
        lock (_gate)
        {
            return _recorded.ToArray();
        }
    }

    /// <summary>Waits until both sides closed, so that <see cref="Recorded"/> is complete.</summary>
    public Task CompletionAsync() => _relaying!.WaitAsync(TimeSpan.FromSeconds(30));

    private async Task RelayOneAsync()
    {
        using TcpClient client = await _listener.AcceptTcpClientAsync();
        using var broker = new TcpClient();
        await broker.ConnectAsync(_target);
        NetworkStream fromClient = client.GetStream();
        NetworkStream toBroker = broker.GetStream();
        await Task.WhenAll(PumpAsync(fromClient, toBroker), PumpAsync(toBroker, fromClient));
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        byte[] buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                lock (_gate)
                {
                    _recorded.Write(buffer, 0, read);
                }
                await to.WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (IOException)
        {
            // One side reset the connection: the recording holds what crossed until then.
        }
        finally
        {
            try
            {
                to.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already reset by the other side.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        if (_relaying is not null)
        {
            await _relaying.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
        _recorded.Dispose();
    }
}
