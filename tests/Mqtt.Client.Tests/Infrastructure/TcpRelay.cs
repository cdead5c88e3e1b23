using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>
/// A TCP relay between a client and a broker that a test can cut (to drop connections uncleanly), hold
/// (broker-to-client bytes wait, e.g. to keep a PUBACK from arriving) and inspect (client-to-broker bytes are logged).
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly List<Socket> _sockets = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _upstreamLog = new();
    private TaskCompletionSource _downstreamGate = CompletedGate();

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

    /// <summary>The client-to-broker packets seen so far, decoded.</summary>
    public List<(PacketType Type, byte Flags, byte[] Body)> UpstreamPackets()
    {
        byte[] log;
        lock (_upstreamLog)
        {
            log = _upstreamLog.ToArray();
        }
        var packets = new List<(PacketType, byte, byte[])>();
        var input = new ReadOnlySequence<byte>(log);
        while (MqttFrameReader.TryRead(input, int.MaxValue, out MqttFrame frame, out _) == DecodeStatus.Complete)
        {
            packets.Add((frame.Type, frame.Flags, frame.Body.ToArray()));
            input = input.Slice(frame.Length);
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
                _ = PumpAsync(client, upstream, log: true);
                _ = PumpAsync(upstream, client, log: false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool log)
    {
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
                if (log)
                {
                    lock (_upstreamLog)
                    {
                        _upstreamLog.Write(buffer, 0, n);
                    }
                }
                else
                {
                    Task gate;
                    lock (_sockets)
                    {
                        gate = _downstreamGate.Task;
                    }
                    await gate.WaitAsync(_stop.Token);
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
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
}
