namespace Mqtt.Broker;

/// <summary>
/// The broker-wide share of memory for large packets from clients not yet accepted
/// (<see cref="BrokerOptions.MaximumConnectingBytes"/>): each such packet is reserved whole before its bytes are waited for.
/// </summary>
internal sealed class ConnectingBytes(long maximum)
{
    private long _reserved;

    /// <summary>Bytes reserved now.</summary>
    public long Reserved => Volatile.Read(ref _reserved);

    /// <summary>Reserves <paramref name="bytes"/> unless that would pass the maximum (0: no maximum).</summary>
    public bool TryReserve(long bytes)
    {
        long reserved = Volatile.Read(ref _reserved);
        while (maximum == 0 || reserved + bytes <= maximum)
        {
            long seen = Interlocked.CompareExchange(ref _reserved, reserved + bytes, reserved);
            if (seen == reserved)
            {
                return true;
            }
            reserved = seen;
        }
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _reserved, -bytes);
}
