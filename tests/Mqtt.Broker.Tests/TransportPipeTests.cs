using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Mqtt.Broker.Tests;

/// <summary>
/// TransportConnection as a duplex pipe (docs/broker.md, "One connection"): its own PipeReader and PipeWriter over
/// a connected socket pair on 127.0.0.1, with the usual PipeReader/PipeWriter semantics the read loop relies on.
/// </summary>
public sealed class TransportPipeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Read_returns_the_bytes_received_and_unexamined_bytes_come_back_without_a_receive()
    {
        await using var pair = await SocketPair.OpenAsync();
        pair.Peer.Send([1, 2, 3, 4]);

        ReadResult first = await ReadAtLeastAsync(pair.Transport.Input, 4);
        Assert.Equal([1, 2, 3, 4], first.Buffer.ToArray());
        // One byte consumed, nothing more examined: the rest is returned at once.
        pair.Transport.Input.AdvanceTo(first.Buffer.GetPosition(1));

        ReadResult second = await pair.Transport.Input.ReadAsync().AsTask().WaitAsync(Generous);
        Assert.Equal([2, 3, 4], second.Buffer.ToArray());
        pair.Transport.Input.AdvanceTo(second.Buffer.GetPosition(3));
    }

    [Fact]
    public async Task A_partial_packet_examined_to_its_end_waits_for_more_bytes_and_is_kept_in_front_of_them()
    {
        await using var pair = await SocketPair.OpenAsync();
        pair.Peer.Send([1, 2]);
        ReadResult first = await ReadAtLeastAsync(pair.Transport.Input, 2);
        pair.Transport.Input.AdvanceTo(first.Buffer.Start, first.Buffer.End);

        ValueTask<ReadResult> waiting = pair.Transport.Input.ReadAsync();
        Assert.False(waiting.IsCompleted);
        pair.Peer.Send([3]);
        ReadResult second = await waiting.AsTask().WaitAsync(Generous);
        Assert.Equal([1, 2, 3], second.Buffer.ToArray());
        pair.Transport.Input.AdvanceTo(second.Buffer.End);
    }

    [Fact]
    public async Task Read_completes_at_the_end_of_the_stream()
    {
        await using var pair = await SocketPair.OpenAsync();
        pair.Peer.Send([7]);
        pair.Peer.Shutdown(SocketShutdown.Send);

        ReadResult result = await ReadAtLeastAsync(pair.Transport.Input, 1);
        pair.Transport.Input.AdvanceTo(result.Buffer.End);
        for (int i = 0; i < 10 && !result.IsCompleted; i++)
        {
            result = await pair.Transport.Input.ReadAsync().AsTask().WaitAsync(Generous);
        }
        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
    }

    [Fact]
    public async Task CancelPendingRead_before_a_read_makes_it_return_canceled_at_once()
    {
        await using var pair = await SocketPair.OpenAsync();
        pair.Transport.Input.CancelPendingRead();

        ValueTask<ReadResult> read = pair.Transport.Input.ReadAsync();
        Assert.True(read.IsCompleted);
        Assert.True((await read).IsCanceled);
    }

    [Fact]
    public async Task Flush_sends_everything_written_since_the_last_flush()
    {
        await using var pair = await SocketPair.OpenAsync();
        PipeWriter output = pair.Transport.Output;
        output.Write(new byte[] { 1, 2, 3 });
        output.Write(new byte[] { 4, 5 });
        Assert.Equal(5, output.UnflushedBytes);

        FlushResult result = await output.FlushAsync().AsTask().WaitAsync(Generous);
        Assert.False(result.IsCanceled);
        Assert.Equal(0, output.UnflushedBytes);
        Assert.Equal([1, 2, 3, 4, 5], await pair.ReceiveAtPeerAsync(5));
    }

    /// <summary>
    /// A flush with nothing written gives back the buffer a GetSpan rented: a WebSocket ping's empty packet (queued so the
    /// drain flushes the pong) left every pinging connection holding 4 KiB while idle.
    /// </summary>
    [Fact]
    public async Task A_flush_with_nothing_written_holds_no_buffer()
    {
        await using var pair = await SocketPair.OpenAsync();
        var output = (TransportPipeWriter)pair.Transport.Output;
        output.Write(ReadOnlySpan<byte>.Empty);
        output.GetSpan();
        output.Advance(0);

        await output.FlushAsync().AsTask().WaitAsync(Generous);

        Assert.False(output.HoldsBuffer);
    }

    [Fact]
    public async Task A_flush_larger_than_the_socket_buffers_completes_once_the_peer_reads()
    {
        const int Size = 8 * 1024 * 1024;
        await using var pair = await SocketPair.OpenAsync();
        PipeWriter output = pair.Transport.Output;
        byte[] bytes = new byte[Size];
        new Random(7).NextBytes(bytes);
        output.Write(bytes);

        Task<FlushResult> flush = output.FlushAsync().AsTask();
        byte[] received = await pair.ReceiveAtPeerAsync(Size);
        await flush.WaitAsync(Generous);
        Assert.Equal(bytes, received);
    }

    private static async Task<ReadResult> ReadAtLeastAsync(PipeReader input, int count)
    {
        using var timeout = new CancellationTokenSource(Generous);
        while (true)
        {
            ReadResult result = await input.ReadAsync(timeout.Token);
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                return result;
            }
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>A TransportConnection over an accepted socket, and the plain socket at the other end.</summary>
    private sealed class SocketPair : IAsyncDisposable
    {
        private SocketPair(TransportConnection transport, Socket peer)
        {
            Transport = transport;
            Peer = peer;
        }

        public TransportConnection Transport { get; }

        public Socket Peer { get; }

        public static async Task<SocketPair> OpenAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(Generous);
            Task<Socket> accepting = listener.AcceptAsync(timeout.Token).AsTask();
            await peer.ConnectAsync(listener.LocalEndPoint!, timeout.Token);
            return new SocketPair(new TransportConnection(await accepting), peer);
        }

        public async Task<byte[]> ReceiveAtPeerAsync(int count)
        {
            using var timeout = new CancellationTokenSource(Generous);
            byte[] received = new byte[count];
            int total = 0;
            while (total < count)
            {
                int n = await Peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None, timeout.Token);
                Assert.NotEqual(0, n);
                total += n;
            }
            return received;
        }

        public async ValueTask DisposeAsync()
        {
            Transport.Abort();
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
            await Transport.DisposeAsync();
            Peer.Dispose();
        }
    }
}
