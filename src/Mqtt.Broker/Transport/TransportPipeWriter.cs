using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Mqtt.Broker;

/// <summary>
/// The output side of a <see cref="TransportConnection"/>: a <see cref="PipeWriter"/> over one array from the shared
/// pool, not a <see cref="Pipe"/>. What is written stays there until <see cref="FlushAsync"/>, which sends it (tried
/// synchronously first, the socket being non-blocking for that call; only when the kernel buffer is full does it await
/// an asynchronous send) and gives the array back, so a connection holds no send buffer between flushes. One writer
/// at a time, as for any <see cref="PipeWriter"/>. Over WebSocket each flush is one binary frame: the array keeps room
/// for the frame header before the bytes written, filled in at the flush, so framing copies nothing; a pong waiting to
/// answer a client's ping goes out first.
/// </summary>
internal sealed class TransportPipeWriter : PipeWriter
{
    private const int MinimumSize = 4096;
    private readonly TransportConnection _transport;
    private readonly int _headerSpace;
    private byte[]? _array;
    // Bytes of the array in use, the header space included.
    private int _written;
    private bool _cancelRequested;
    private bool _completed;

    public TransportPipeWriter(TransportConnection transport)
    {
        _transport = transport;
        _headerSpace = transport.WebSocketFrames is null ? 0 : WebSocketFraming.MaxServerHeaderSize;
    }

    /// <inheritdoc/>
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc/>
    public override long UnflushedBytes => _array is null ? 0 : _written - _headerSpace;

    /// <summary>Whether a send buffer is held (between writes and the flush that sends them; never while idle).</summary>
    public bool HoldsBuffer => _array is not null;

    /// <inheritdoc/>
    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)(_array?.Length - _written ?? 0))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }
        _written += bytes;
    }

    /// <inheritdoc/>
    public override Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_written);

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_written);

    /// <summary>Sends everything written since the last flush. A canceled flush sends nothing; the bytes wait for the next.</summary>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The writer was completed.");
        }
        if (_cancelRequested)
        {
            _cancelRequested = false;
            return new(new FlushResult(isCanceled: true, isCompleted: false));
        }
        // A volatile read per flush; the exchange only when a ping came in.
        if (_transport.WebSocketFrames is { PongWaiting: true } frames && frames.TakePong() is byte[] pong)
        {
            return SendPongFirstAsync(pong, cancellationToken);
        }
        int length = (int)UnflushedBytes;
        if (length == 0)
        {
            // A span asked for and nothing written (an empty packet that only made the drain flush a pong).
            Release();
            return new(default(FlushResult));
        }
        int start = _headerSpace;
        if (_headerSpace > 0)
        {
            // [MQTT-6.0.0-1] binary frames only; [MQTT-6.0.0-2] the frame holds whole packets, or a large one's start.
            start -= WebSocketFraming.HeaderSize(length);
            WebSocketFraming.WriteHeader(_array.AsSpan(start), WebSocketOpcode.Binary, length);
        }
        int sent;
        try
        {
            sent = _transport.TrySend(_array.AsSpan(start, _written - start));
        }
        catch
        {
            Release();
            throw;
        }
        if (start + sent == _written)
        {
            Release();
            return new(default(FlushResult));
        }
        return SendRestAsync(start + sent, cancellationToken);
    }

    /// <summary>Marks the flush in progress (or the next one) as canceled; a send already waiting on the socket still completes.</summary>
    public override void CancelPendingFlush() => _cancelRequested = true;

    /// <summary>Drops anything unflushed and gives the array back; the transport itself is closed by its owner.</summary>
    public override void Complete(Exception? exception = null)
    {
        _completed = true;
        Release();
    }

    /// <summary>A pong (rare: clients seldom ping) is sent on its own, then the flush goes on as usual.</summary>
    private async ValueTask<FlushResult> SendPongFirstAsync(byte[] pong, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.SendAsync(pong, cancellationToken);
        }
        catch
        {
            Release();
            throw;
        }
        return await FlushAsync(cancellationToken);
    }

    /// <summary>Sends the array from <paramref name="from"/> to the end of what was written, however long the peer takes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> SendRestAsync(int from, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.SendAsync(_array.AsMemory(from, _written - from), cancellationToken);
        }
        finally
        {
            Release();
        }
        bool canceled = _cancelRequested;
        _cancelRequested = false;
        return new FlushResult(canceled, isCompleted: false);
    }

    private void Release()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }
        _written = 0;
    }

    private byte[] Ensure(int sizeHint)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The writer was completed.");
        }
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(Math.Max(_headerSpace + Math.Max(sizeHint, 1), MinimumSize));
            _written = _headerSpace;
        }
        int needed = _written + Math.Max(sizeHint, 1);
        if (_array.Length < needed)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _array.Length * 2));
            _array.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }
        return _array;
    }
}
