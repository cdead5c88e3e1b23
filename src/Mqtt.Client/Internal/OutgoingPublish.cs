using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// Session state of one QoS 1 or 2 PUBLISH sent by the client, kept until its flow completes so that it can be
/// re-sent with DUP after a reconnection [MQTT-4.4.0-1]. The payload is the client's own copy.
/// </summary>
internal sealed class OutgoingPublish
{
    public OutgoingPublish(ushort packetId, string topic, ReadOnlyMemory<byte> payload, QualityOfService qos, bool retain, MqttApplicationMessage? message)
    {
        PacketId = packetId;
        Topic = topic;
        Payload = payload;
        QoS = qos;
        Retain = retain;
        Message = message;
    }

    public ushort PacketId { get; private set; }

    /// <summary>Order of publication, kept when re-sending [MQTT-4.6.0-1].</summary>
    public long Sequence { get; init; }

    public string Topic { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public QualityOfService QoS { get; }

    public bool Retain { get; }

    /// <summary>The message with MQTT 5 properties, when it had any.</summary>
    public MqttApplicationMessage? Message { get; }

    /// <summary>QoS 2: PUBREC arrived, PUBREL was sent; only PUBREL is re-sent from now on [MQTT-4.3.3-4].</summary>
    public bool Released { get; set; }

    /// <summary>QoS 2: the PUBREL was sent again after a reconnection, so a PUBCOMP 0x92 means the flow ended before.</summary>
    public bool PubRelResent { get; set; }

    /// <summary>Whether this PUBLISH has been on the wire at least once (a re-send carries DUP).</summary>
    public bool Sent { get; set; }

    /// <summary>Sets the Packet Identifier once it is allocated (the entry is registered under it first).</summary>
    public OutgoingPublish WithPacketId(ushort packetId)
    {
        PacketId = packetId;
        return this;
    }

    public TaskCompletionSource<MqttPublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
