using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Test-side union of the 15 packet structs: one case per packet type, each able to say its size, write
/// itself and list its fields (<see cref="PacketFields"/>), so tests can treat packets uniformly.
/// </summary>
public abstract class AnyPacket
{
    public abstract PacketType Type { get; }

    public abstract int GetSize(ProtocolVersion version);

    public abstract void Write(IBufferWriter<byte> output, ProtocolVersion version);

    /// <summary>Adds this packet's fields to <paramref name="fields"/>, in a fixed order.</summary>
    public abstract void Describe(PacketFields fields);

    public byte[] ToBytes(ProtocolVersion version)
    {
        var output = new ArrayBufferWriter<byte>();
        Write(output, version);
        return output.WrittenSpan.ToArray();
    }

    public override string ToString() => PacketFields.Of(this).ToString();

    public static AnyPacket Of(ConnectPacket p) => new Connect(p);
    public static AnyPacket Of(ConnAckPacket p) => new ConnAck(p);
    public static AnyPacket Of(PublishPacket p) => new Publish(p);
    public static AnyPacket Of(PubAckPacket p) => new PubAck(p);
    public static AnyPacket Of(PubRecPacket p) => new PubRec(p);
    public static AnyPacket Of(PubRelPacket p) => new PubRel(p);
    public static AnyPacket Of(PubCompPacket p) => new PubComp(p);
    public static AnyPacket Of(SubscribePacket p) => new Subscribe(p);
    public static AnyPacket Of(SubAckPacket p) => new SubAck(p);
    public static AnyPacket Of(UnsubscribePacket p) => new Unsubscribe(p);
    public static AnyPacket Of(UnsubAckPacket p) => new UnsubAck(p);
    public static AnyPacket Of(PingReqPacket p) => new PingReq(p);
    public static AnyPacket Of(PingRespPacket p) => new PingResp(p);
    public static AnyPacket Of(DisconnectPacket p) => new Disconnect(p);
    public static AnyPacket Of(AuthPacket p) => new Auth(p);

    public sealed class Connect(ConnectPacket packet) : AnyPacket
    {
        public ConnectPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.Connect;

        /// <summary>CONNECT carries its own version; <paramref name="version"/> must agree with it.</summary>
        public override int GetSize(ProtocolVersion version) => CheckVersion(version).GetSize();
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => CheckVersion(version).Write(output);
        public override void Describe(PacketFields f)
        {
            f.Add("Version", Packet.Version);
            f.Add("CleanStart", Packet.CleanStart);
            f.Add("KeepAlive", Packet.KeepAlive);
            f.Add("ClientId", Packet.ClientId);
            f.Add("Properties", Packet.Properties);
            if (Packet.Will is WillMessage will)
            {
                f.Add("Will.Topic", will.Topic);
                f.Add("Will.Payload", will.Payload);
                f.Add("Will.QoS", will.QoS);
                f.Add("Will.Retain", will.Retain);
                f.Add("Will.Properties", will.Properties);
            }
            else
            {
                f.Add("Will", "null");
            }
            f.Add("UserName", Packet.UserName);
            f.Add("Password", Packet.Password);
        }

        private ConnectPacket CheckVersion(ProtocolVersion version) => Packet.Version == version
            ? Packet
            : throw new InvalidOperationException($"CONNECT of version {Packet.Version} asked to be written as {version}");
    }

    public sealed class ConnAck(ConnAckPacket packet) : AnyPacket
    {
        public ConnAckPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.ConnAck;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("SessionPresent", Packet.SessionPresent);
            f.Add("ReasonCode", Packet.ReasonCode);
            f.Add("Properties", Packet.Properties);
        }
    }

    public sealed class Publish(PublishPacket packet) : AnyPacket
    {
        public PublishPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.Publish;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("Topic", Packet.Topic);
            f.Add("QoS", Packet.QoS);
            f.Add("Retain", Packet.Retain);
            f.Add("Duplicate", Packet.Duplicate);
            f.Add("PacketId", Packet.PacketId);
            f.Add("Properties", Packet.Properties);
            f.Add("Payload", Packet.Payload);
        }
    }

    public sealed class PubAck(PubAckPacket packet) : AnyPacket
    {
        public PubAckPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.PubAck;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f) => f.AddResponse(Packet.PacketId, Packet.ReasonCode, Packet.Properties);
    }

    public sealed class PubRec(PubRecPacket packet) : AnyPacket
    {
        public PubRecPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.PubRec;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f) => f.AddResponse(Packet.PacketId, Packet.ReasonCode, Packet.Properties);
    }

    public sealed class PubRel(PubRelPacket packet) : AnyPacket
    {
        public PubRelPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.PubRel;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f) => f.AddResponse(Packet.PacketId, Packet.ReasonCode, Packet.Properties);
    }

    public sealed class PubComp(PubCompPacket packet) : AnyPacket
    {
        public PubCompPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.PubComp;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f) => f.AddResponse(Packet.PacketId, Packet.ReasonCode, Packet.Properties);
    }

    public sealed class Subscribe(SubscribePacket packet) : AnyPacket
    {
        public SubscribePacket Packet { get; } = packet;
        public override PacketType Type => PacketType.Subscribe;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("PacketId", Packet.PacketId);
            f.Add("Properties", Packet.Properties);
            f.Add("Subscriptions.Count", Packet.Subscriptions.Count);
            int i = 0;
            foreach (Subscription s in Packet.Subscriptions)
            {
                f.Add($"Subscriptions[{i}].TopicFilter", s.TopicFilter);
                f.Add($"Subscriptions[{i}].MaximumQoS", s.MaximumQoS);
                f.Add($"Subscriptions[{i}].NoLocal", s.NoLocal);
                f.Add($"Subscriptions[{i}].RetainAsPublished", s.RetainAsPublished);
                f.Add($"Subscriptions[{i}].RetainHandling", s.RetainHandling);
                i++;
            }
        }
    }

    public sealed class SubAck(SubAckPacket packet) : AnyPacket
    {
        public SubAckPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.SubAck;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("PacketId", Packet.PacketId);
            f.Add("Properties", Packet.Properties);
            f.Add("ReasonCodes", Packet.ReasonCodes);
        }
    }

    public sealed class Unsubscribe(UnsubscribePacket packet) : AnyPacket
    {
        public UnsubscribePacket Packet { get; } = packet;
        public override PacketType Type => PacketType.Unsubscribe;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("PacketId", Packet.PacketId);
            f.Add("Properties", Packet.Properties);
            f.Add("TopicFilters.Count", Packet.TopicFilters.Count);
            int i = 0;
            foreach (ReadOnlySequence<byte> filter in Packet.TopicFilters)
            {
                f.Add($"TopicFilters[{i++}]", filter);
            }
        }
    }

    public sealed class UnsubAck(UnsubAckPacket packet) : AnyPacket
    {
        public UnsubAckPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.UnsubAck;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("PacketId", Packet.PacketId);
            f.Add("Properties", Packet.Properties);
            f.Add("ReasonCodes", Packet.ReasonCodes);
        }
    }

    public sealed class PingReq(PingReqPacket packet) : AnyPacket
    {
        public PingReqPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.PingReq;
        public override int GetSize(ProtocolVersion version) => PingReqPacket.Size;
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output);
        public override void Describe(PacketFields f)
        {
        }
    }

    public sealed class PingResp(PingRespPacket packet) : AnyPacket
    {
        public PingRespPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.PingResp;
        public override int GetSize(ProtocolVersion version) => PingRespPacket.Size;
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output);
        public override void Describe(PacketFields f)
        {
        }
    }

    public sealed class Disconnect(DisconnectPacket packet) : AnyPacket
    {
        public DisconnectPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.Disconnect;
        public override int GetSize(ProtocolVersion version) => Packet.GetSize(version);
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
        public override void Describe(PacketFields f)
        {
            f.Add("ReasonCode", Packet.ReasonCode);
            f.Add("Properties", Packet.Properties);
        }
    }

    public sealed class Auth(AuthPacket packet) : AnyPacket
    {
        public AuthPacket Packet { get; } = packet;
        public override PacketType Type => PacketType.Auth;

        /// <summary>AUTH exists only in MQTT 5.</summary>
        public override int GetSize(ProtocolVersion version) => CheckVersion(version).GetSize();
        public override void Write(IBufferWriter<byte> output, ProtocolVersion version) => CheckVersion(version).Write(output);
        public override void Describe(PacketFields f)
        {
            f.Add("ReasonCode", Packet.ReasonCode);
            f.Add("Properties", Packet.Properties);
        }

        private AuthPacket CheckVersion(ProtocolVersion version) => version == ProtocolVersion.V500
            ? Packet
            : throw new InvalidOperationException("AUTH does not exist in MQTT 3.1.1");
    }
}
