using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>A scripted MQTT server for misbehaviour tests: accepts connections on 127.0.0.1 and lets the test read and write raw packets.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public FakeServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    public async Task<FakeConnection> AcceptAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        Socket socket = await _listener.AcceptSocketAsync(cts.Token);
        return new FakeConnection(socket);
    }

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Dispose();
        return default;
    }
}

/// <summary>One accepted connection of a <see cref="FakeServer"/>.</summary>
public sealed class FakeConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private Task<byte[]>? _readingToEnd;

    public FakeConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream);
    }

    public ProtocolVersion Version { get; set; } = ProtocolVersion.V500;

    /// <summary>The next packet from the client, or null when the client closed the connection.</summary>
    public async Task<OwnedPacket?> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cts.Token);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start, examined = buffer.Start;
            try
            {
                DecodeStatus status = MqttFrameReader.TryRead(buffer, int.MaxValue, ref consumed, ref examined, out MqttFrame frame, out DecodeError error);
                if (status == DecodeStatus.Complete)
                {
                    return new OwnedPacket(frame.Type, frame.Flags, frame.HeaderLength, frame.Body.ToArray());
                }
                if (status == DecodeStatus.Invalid)
                {
                    throw new InvalidOperationException($"the client sent an invalid packet: {error}");
                }
                if (result.IsCompleted)
                {
                    return null;
                }
            }
            finally
            {
                _reader.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>Reads the next packet, which must be of <paramref name="type"/>.</summary>
    public async Task<OwnedPacket> ExpectAsync(PacketType type, TimeSpan? timeout = null)
    {
        OwnedPacket? packet = await ReadAsync(timeout);
        Assert.True(packet is not null, $"expected {type}, the client closed the connection");
        Assert.Equal(type, packet!.Type);
        return packet;
    }

    /// <summary>Reads CONNECT and answers CONNACK (Success) with the given properties.</summary>
    public async Task<ConnectPacket> AcceptConnectAsync(MqttProperties properties = default, bool sessionPresent = false)
    {
        OwnedPacket connect = await ExpectAsync(PacketType.Connect);
        Assert.True(ConnectPacket.TryRead(connect.Frame, out ConnectPacket packet, out DecodeError error), error.ToString());
        Version = packet.Version;
        await SendAsync(w => new ConnAckPacket { ReasonCode = ReasonCode.Success, SessionPresent = sessionPresent, Properties = properties }.Write(w, Version));
        return packet;
    }

    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        await SendAsync(buffer.WrittenMemory);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes) => await _stream.WriteAsync(bytes);

    public void Close() => _socket.Close();

    /// <summary>Half-closes: the client reads the end of the stream, and can still write.</summary>
    public void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The client reset the connection already.
        }
    }

    /// <summary>Writes, ignoring a connection the client has already closed or reset.</summary>
    public async Task TrySendAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await _stream.WriteAsync(bytes);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Every byte the client sends until it closes the connection, or until this side closes it.</summary>
    public Task<byte[]> ReadToEndAsync() => _readingToEnd = ReadRemainingAsync();

    private async Task<byte[]> ReadRemainingAsync()
    {
        var received = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    received.Write(segment.Span);
                }
                _reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Reset by the client, or closed here.
        }
        return received.WrittenSpan.ToArray();
    }

    /// <summary>Reads and discards everything the client sends until it closes the connection.</summary>
    public async Task DrainAsync()
    {
        while (true)
        {
            ReadResult result = await _reader.ReadAsync();
            _reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        if (_readingToEnd is not null)
        {
            // The reader may not be completed while a read is pending.
            await _readingToEnd;
        }
        await _reader.CompleteAsync();
    }
}

/// <summary>A packet copied off the wire.</summary>
public sealed record OwnedPacket(PacketType Type, byte Flags, int HeaderLength, byte[] Body)
{
    public MqttFrame Frame => new(Type, Flags, HeaderLength, new ReadOnlySequence<byte>(Body));
}
