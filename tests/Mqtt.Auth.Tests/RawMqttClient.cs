using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mqtt.Codec;

namespace Mqtt.Auth.Tests;

/// <summary>What the broker sent: a packet's type and the parts these tests look at, or the connection closing.</summary>
internal sealed record Received(PacketType Type, ReasonCode ReasonCode, string? AuthenticationMethod, byte[]? AuthenticationData, bool SessionPresent)
{
    public string AuthenticationText => Encoding.UTF8.GetString(AuthenticationData ?? []);

    public bool IsClosed => Type == PacketType.Reserved;

    public static Received Closed { get; } = new(PacketType.Reserved, ReasonCode.Success, null, null, false);
}

/// <summary>An MQTT 5 client that sends exactly the packets a test builds (Mqtt.Codec writes them), for attacks.</summary>
internal sealed class RawMqttClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;

    private RawMqttClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
    }

    /// <summary>Opens a TCP connection, from <paramref name="local"/> if given (any 127.0.0.0/8 address works on Linux).</summary>
    public static async Task<RawMqttClient> OpenAsync(IPEndPoint broker, IPAddress? local = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (local is not null)
        {
            socket.Bind(new IPEndPoint(local, 0));
        }

        using var timeout = new CancellationTokenSource(DefaultWait);
        await socket.ConnectAsync(broker, timeout.Token);
        return new RawMqttClient(socket);
    }

    public Task SendConnectAsync(string clientId, string? user = null, byte[]? password = null, string? method = null, byte[]? data = null,
        bool cleanStart = true, uint sessionExpiry = 0, (string Name, string Value)[]? userProperties = null)
    {
        var properties = new MqttProperties
        {
            AuthenticationMethod = method is null ? null : MqttUtf8.Encode(method),
            AuthenticationData = data is null ? null : new ReadOnlySequence<byte>(data),
            SessionExpiryInterval = sessionExpiry == 0 ? null : sessionExpiry,
        };
        if (userProperties is not null)
        {
            properties.UserProperties = UserProperties.Create(userProperties);
        }

        var connect = new ConnectPacket
        {
            Version = ProtocolVersion.V500,
            CleanStart = cleanStart,
            KeepAlive = 60,
            ClientId = MqttUtf8.Encode(clientId),
            UserName = user is null ? null : MqttUtf8.Encode(user),
            Password = password is null ? null : new ReadOnlySequence<byte>(password),
            Properties = properties,
        };
        var bytes = new ArrayBufferWriter<byte>();
        connect.Write(bytes);
        return SendRawAsync(bytes.WrittenMemory);
    }

    public Task SendAuthAsync(ReasonCode reason, string method, string? data) =>
        SendAuthAsync(reason, method, data is null ? null : Encoding.UTF8.GetBytes(data));

    public Task SendAuthAsync(ReasonCode reason, string method, byte[]? data)
    {
        var auth = new AuthPacket
        {
            ReasonCode = reason,
            Properties = new MqttProperties
            {
                AuthenticationMethod = MqttUtf8.Encode(method),
                AuthenticationData = data is null ? null : new ReadOnlySequence<byte>(data),
            },
        };
        var bytes = new ArrayBufferWriter<byte>();
        auth.Write(bytes);
        return SendRawAsync(bytes.WrittenMemory);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }
        catch (IOException)
        {
            // The broker may already have closed; the next ReceiveAsync reports it.
        }
    }

    /// <summary>The next packet, or <see cref="Received.Closed"/> when the broker closes; fails the test after the wait.</summary>
    public async Task<Received> ReceiveAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? DefaultWait);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(timeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return Received.Closed;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("the broker neither answered nor closed in time");
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            DecodeStatus status = MqttFrameReader.TryRead(buffer, 1 << 20, out MqttFrame frame, out DecodeError error);
            if (status == DecodeStatus.Complete)
            {
                Received packet = Decode(frame);
                _input.AdvanceTo(buffer.GetPosition(frame.Length));
                return packet;
            }

            if (status == DecodeStatus.Invalid)
            {
                throw new InvalidDataException("broker sent a malformed packet: " + error);
            }

            if (result.IsCompleted)
            {
                return Received.Closed;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static Received Decode(MqttFrame frame)
    {
        switch (frame.Type)
        {
            case PacketType.ConnAck:
                Assert.True(ConnAckPacket.TryRead(frame, ProtocolVersion.V500, out ConnAckPacket connAck, out _));
                return new(frame.Type, connAck.ReasonCode, Method(connAck.Properties), Data(connAck.Properties), connAck.SessionPresent);
            case PacketType.Auth:
                Assert.True(AuthPacket.TryRead(frame, ProtocolVersion.V500, out AuthPacket auth, out _));
                return new(frame.Type, auth.ReasonCode, Method(auth.Properties), Data(auth.Properties), false);
            case PacketType.Disconnect:
                Assert.True(DisconnectPacket.TryRead(frame, ProtocolVersion.V500, out DisconnectPacket disconnect, out _));
                return new(frame.Type, disconnect.ReasonCode, null, null, false);
            default:
                return new(frame.Type, ReasonCode.Success, null, null, false);
        }
    }

    private static string? Method(in MqttProperties properties) =>
        properties.AuthenticationMethod is { } method ? MqttUtf8.GetString(method) : null;

    private static byte[]? Data(in MqttProperties properties) => properties.AuthenticationData?.ToArray();

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        await _stream.DisposeAsync();
    }
}
