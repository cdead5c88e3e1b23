using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Mqtt.Broker;

/// <summary>
/// The input side of a <see cref="TransportConnection"/>: a <see cref="PipeReader"/> over the connection's own
/// <see cref="ReceiveBuffer"/>, not a <see cref="Pipe"/>. While nothing is buffered it waits with a zero-byte receive,
/// so an idle connection holds no buffer; <see cref="ReadAsync"/> returns the bytes received and not yet consumed
/// (one array, one segment). The usual rules hold: <see cref="AdvanceTo(SequencePosition, SequencePosition)"/> with
/// everything examined makes the next read wait for more bytes. A receive already waiting on the socket cannot be
/// interrupted (<see cref="TransportConnection.Abort"/> ends it); <see cref="CancelPendingRead"/> marks the result of
/// that read, or of the next one, as canceled.
/// </summary>
internal sealed class TransportPipeReader : PipeReader
{
    private readonly TransportConnection _transport;
    private ReceiveBuffer _buffer;
    private bool _needMore = true;
    private bool _endOfStream;
    private bool _cancelRequested;
    private bool _completed;

    public TransportPipeReader(TransportConnection transport) => _transport = transport;

    /// <inheritdoc/>
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (_cancelRequested || _endOfStream || !_needMore)
        {
            return new(Result());
        }
        return ReceiveAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCompleted();
        if (_cancelRequested || _endOfStream || !_buffer.IsEmpty)
        {
            result = Result();
            return true;
        }
        result = default;
        return false;
    }

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ThrowIfCompleted();
        if (_buffer.IsEmpty)
        {
            _needMore = true;
            return;
        }
        // The positions index the buffer's array (a single-segment sequence over it).
        int consumedIndex = consumed.GetInteger();
        int examinedIndex = examined.GetInteger();
        if (consumedIndex < _buffer.Start || examinedIndex < consumedIndex || examinedIndex > _buffer.End)
        {
            throw new InvalidOperationException("AdvanceTo was given a position outside the last read.");
        }
        _needMore = examinedIndex == _buffer.End;
        _buffer.Consume(consumedIndex - _buffer.Start);
        _needMore |= _buffer.IsEmpty;
    }

    /// <inheritdoc/>
    public override void CancelPendingRead() => _cancelRequested = true;

    /// <summary>Gives the buffer back to the pool; the transport itself is closed by its owner.</summary>
    public override void Complete(Exception? exception = null)
    {
        _completed = true;
        _buffer.Release();
    }

    /// <summary>The slow path: wait for data (zero-byte, without a buffer, when nothing is buffered), then receive it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_buffer.IsEmpty)
        {
            await _transport.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        }
        int received = await _transport.ReceiveAsync(_buffer.GetFreeSpace(), cancellationToken);
        if (received == 0)
        {
            _endOfStream = true;
        }
        else
        {
            _buffer.Received(received);
            _needMore = false;
        }
        return Result();
    }

    private ReadResult Result()
    {
        bool canceled = _cancelRequested;
        _cancelRequested = false;
        return new ReadResult(_buffer.Data, canceled, _endOfStream);
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The reader was completed.");
        }
    }
}
