namespace Mqtt.Broker;

/// <summary>
/// Record types of the state file. Each record is its type (1 byte), its body's length (4 bytes, big-endian) and the
/// body. <see cref="Subscription"/>, <see cref="Delivery"/> and <see cref="IncomingQoS2"/> belong to the
/// <see cref="Session"/> before them; <see cref="Message"/> comes before the records that refer to it by index.
/// </summary>
internal enum StateRecord : byte
{
    /// <summary>Received at (Unix ms, 8 bytes), then the message as an MQTT 5 PUBLISH packet.</summary>
    Message = 1,

    /// <summary>Index of a retained message (4 bytes).</summary>
    Retained = 2,

    /// <summary>
    /// Client Identifier (2-byte length, UTF-8), user name flag (1 byte) and user name, Session Expiry Interval (4),
    /// disconnected at (Unix ms, 8), last Packet Identifier (2), credential tag length (1: 0 or 16) and tag.
    /// </summary>
    Session = 3,

    /// <summary>Protocol level (4 or 5), then the subscription as a SUBSCRIBE packet of that level with one filter.</summary>
    Subscription = 4,

    /// <summary>
    /// Message index (4), QoS (1), flags (1: retain 1, in flight 2, sent 4, released 8), Packet Identifier (2),
    /// flight order (8), Subscription Identifier count (2) and each (4). In queue order: in flight first, by flight order.
    /// </summary>
    Delivery = 5,

    /// <summary>A QoS 2 Packet Identifier received and not yet released (2).</summary>
    IncomingQoS2 = 6,

    /// <summary>Empty; the last record, so a truncated file is known as one.</summary>
    End = 0xFF,
}
