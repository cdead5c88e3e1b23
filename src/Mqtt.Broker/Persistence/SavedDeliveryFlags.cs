namespace Mqtt.Broker;

/// <summary>The flags byte of a <see cref="StateRecord.Delivery"/> record.</summary>
[Flags]
internal enum SavedDeliveryFlags : byte
{
    None = 0,
    Retain = 1,
    Inflight = 2,
    Sent = 4,
    Released = 8,
}
