using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>
/// A TCP relay between a client and a broker that a test can cut (to drop connections uncleanly), hold
/// (broker-to-client bytes wait, e.g. to keep a PUBACK from arriving), filter (client-to-broker packets of chosen
/// types are swallowed, e.g. to lose a PUBREC) and inspect (client-to-broker packets are logged).
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly List<Socket> _sockets = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(MemoryStream Up, MemoryStream Down)> _logs = new();
    private TaskCompletionSource _downstreamGate = CompletedGate();
    private volatile Func<PacketType, bool>? _dropUpstream;

    public TcpRelay(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    public int Connections { get; private set; }

    /// <summary>Stops forwarding broker-to-client bytes until <see cref="ResumeDownstream"/>.</summary>
    public void HoldDownstream()
    {
        lock (_sockets)
        {
            _downstreamGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ResumeDownstream()
    {
        lock (_sockets)
        {
            _downstreamGate.TrySetResult();
        }
    }

    /// <summary>
    /// Swallows client-to-broker packets for which <paramref name="drop"/> is true (they are still logged); null
    /// forwards everything again.
    /// </summary>
    public void DropUpstream(Func<PacketType, bool>? drop) => _dropUpstream = drop;

    /// <summary>Waits until the client-to-broker packets seen so far satisfy <paramref name="condition"/>.</summary>
    public async Task WaitForUpstreamAsync(Func<List<(PacketType Type, byte Flags, byte[] Body)>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(UpstreamPackets()))
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the client sent {string.Join(", ", UpstreamPackets().Select(p => p.Type))}, not what the test waits for");
            }
        }
    }

    /// <summary>Closes every relayed connection at once, without any MQTT goodbye.</summary>
    public void Cut()
    {
        lock (_sockets)
        {
            foreach (Socket s in _sockets)
            {
                s.Close();
            }
            _sockets.Clear();
        }
    }

    /// <summary>The client-to-broker packets seen so far (forwarded or swallowed), decoded.</summary>
    public List<(PacketType Type, byte Flags, byte[] Body)> UpstreamPackets() => Decode(static l => l.Up);

    /// <summary>The broker-to-client packets the relay received so far (including those held back), decoded.</summary>
    public List<(PacketType Type, byte Flags, byte[] Body)> DownstreamPackets() => Decode(static l => l.Down);

    /// <summary>Waits until the broker-to-client packets received so far satisfy <paramref name="condition"/>.</summary>
    public async Task WaitForDownstreamAsync(Func<List<(PacketType Type, byte Flags, byte[] Body)>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(DownstreamPackets()))
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the broker sent {string.Join(", ", DownstreamPackets().Select(p => p.Type))}, not what the test waits for");
            }
        }
    }

    /// <summary>Every relayed connection's packets in one direction, connection after connection.</summary>
    private List<(PacketType, byte, byte[])> Decode(Func<(MemoryStream Up, MemoryStream Down), MemoryStream> direction)
    {
        List<MemoryStream> streams;
        lock (_logs)
        {
            streams = _logs.Select(direction).ToList();
        }
        var packets = new List<(PacketType, byte, byte[])>();
        foreach (MemoryStream stream in streams)
        {
            byte[] log;
            lock (stream)
            {
                log = stream.ToArray();
            }
            var input = new ReadOnlySequence<byte>(log);
            while (MqttFrameReader.TryRead(input, int.MaxValue, out MqttFrame frame, out _) == DecodeStatus.Complete)
            {
                packets.Add((frame.Type, frame.Flags, frame.Body.ToArray()));
                input = input.Slice(frame.Length);
            }
        }
        return packets;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Dispose();
        ResumeDownstream();
        Cut();
        await Task.Yield();
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptSocketAsync(_stop.Token);
                var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(upstream);
                    Connections++;
                }
                var log = (Up: new MemoryStream(), Down: new MemoryStream());
                lock (_logs)
                {
                    _logs.Add(log);
                }
                _ = PumpUpstreamAsync(client, upstream, log.Up);
                _ = PumpDownstreamAsync(upstream, client, log.Down);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Client to broker, a whole packet at a time, so that chosen packet types can be swallowed.</summary>
    private async Task PumpUpstreamAsync(Socket from, Socket to, MemoryStream log)
    {
        byte[] buffer = new byte[16 * 1024];
        var pending = new List<byte>();
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }
                lock (log)
                {
                    log.Write(buffer, 0, n);
                }
                pending.AddRange(buffer.AsSpan(0, n));
                byte[] bytes = pending.ToArray();
                var input = new ReadOnlySequence<byte>(bytes);
                int consumed = 0;
                var forward = new List<byte>();
                while (MqttFrameReader.TryRead(input, int.MaxValue, out MqttFrame frame, out _) == DecodeStatus.Complete)
                {
                    if (_dropUpstream?.Invoke(frame.Type) != true)
                    {
                        forward.AddRange(bytes.AsSpan(consumed, (int)frame.Length));
                    }
                    consumed += (int)frame.Length;
                    input = input.Slice(frame.Length);
                }
                pending.RemoveRange(0, consumed);
                if (forward.Count > 0)
                {
                    await to.SendAsync(forward.ToArray(), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    /// <summary>
    /// Broker to client: everything is read (and logged) as it comes, so the log shows what the broker sent even while
    /// the relay holds it; a second loop forwards it through the gate.
    /// </summary>
    private async Task PumpDownstreamAsync(Socket from, Socket to, MemoryStream log)
    {
        var held = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        Task forwarding = ForwardAsync(held.Reader, to);
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }
                lock (log)
                {
                    log.Write(buffer, 0, n);
                }
                held.Writer.TryWrite(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        held.Writer.TryComplete();
        await forwarding;
        from.Close();
        to.Close();
    }

    private async Task ForwardAsync(System.Threading.Channels.ChannelReader<byte[]> held, Socket to)
    {
        try
        {
            await foreach (byte[] chunk in held.ReadAllAsync(_stop.Token))
            {
                Task gate;
                lock (_sockets)
                {
                    gate = _downstreamGate.Task;
                }
                await gate.WaitAsync(_stop.Token);
                await to.SendAsync(chunk, SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            to.Close();
        }
    }
}
