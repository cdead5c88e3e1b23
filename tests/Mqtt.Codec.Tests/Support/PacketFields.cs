using System.Buffers;
using System.Text;
using Xunit.Sdk;

namespace Mqtt.Codec.Tests;

/// <summary>
/// A packet as the ordered list of its fields, each rendered to text: byte sequences as hex (compared by
/// content, never by reference), User Properties as the enumerated pairs, Subscription Identifiers as the
/// enumerated values, absent optional fields left out or written as "null". Two packets are structurally
/// equal when their lists are equal; a mismatch names the first field that differs.
/// </summary>
public sealed class PacketFields : IEquatable<PacketFields>
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public PacketType Type { get; private init; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    public static PacketFields Of(AnyPacket packet)
    {
        var fields = new PacketFields { Type = packet.Type };
        packet.Describe(fields);
        return fields;
    }

    /// <summary>Fails with the first differing field when the two packets are not structurally equal.</summary>
    public static void AssertEqual(AnyPacket expected, AnyPacket actual, string? context = null) =>
        AssertEqual(Of(expected), Of(actual), context);

    public static void AssertEqual(PacketFields expected, PacketFields actual, string? context = null)
    {
        if (expected.Equals(actual))
        {
            return;
        }
        var message = new StringBuilder();
        message.AppendLine($"packets differ{(context is null ? "" : " (" + context + ")")}");
        if (expected.Type != actual.Type)
        {
            message.AppendLine($"  type: expected {expected.Type}, actual {actual.Type}");
        }
        int n = Math.Max(expected._fields.Count, actual._fields.Count);
        for (int i = 0; i < n; i++)
        {
            string e = i < expected._fields.Count ? $"{expected._fields[i].Key} = {expected._fields[i].Value}" : "(none)";
            string a = i < actual._fields.Count ? $"{actual._fields[i].Key} = {actual._fields[i].Value}" : "(none)";
            if (e != a)
            {
                message.AppendLine($"  first difference at field {i}:");
                message.AppendLine($"    expected {e}");
                message.AppendLine($"    actual   {a}");
                break;
            }
        }
        message.AppendLine("expected:").Append(expected).AppendLine("actual:").Append(actual);
        throw new XunitException(message.ToString());
    }

    public void Add(string name, string value) => _fields.Add(new(name, value));

    public void Add(string name, bool value) => Add(name, value ? "true" : "false");

    public void Add(string name, long value) => Add(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Add(string name, ProtocolVersion value) => Add(name, value.ToString());

    public void Add(string name, QualityOfService value) => Add(name, ((int)value).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Add(string name, RetainHandling value) => Add(name, ((int)value).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Reason codes by value: several names share one (Success = NormalDisconnection = GrantedQoS0).</summary>
    public void Add(string name, ReasonCode value) => Add(name, $"0x{(byte)value:x2}");

    public void Add(string name, in ReadOnlySequence<byte> value) => Add(name, Render(value));

    public void Add(string name, in ReadOnlySequence<byte>? value) => Add(name, value is { } v ? Render(v) : "null");

    public void AddResponse(ushort packetId, ReasonCode reasonCode, in MqttProperties properties)
    {
        Add("PacketId", packetId);
        Add("ReasonCode", reasonCode);
        Add("Properties", properties);
    }

    /// <summary>One line per property that is present, then the User Properties and Subscription Identifiers.</summary>
    public void Add(string name, in MqttProperties p)
    {
        AddIf(name, "PayloadFormatIndicator", p.PayloadFormatIndicator);
        AddIf(name, "MessageExpiryInterval", p.MessageExpiryInterval);
        AddIf(name, "ContentType", p.ContentType);
        AddIf(name, "ResponseTopic", p.ResponseTopic);
        AddIf(name, "CorrelationData", p.CorrelationData);
        AddIf(name, "SessionExpiryInterval", p.SessionExpiryInterval);
        AddIf(name, "AssignedClientIdentifier", p.AssignedClientIdentifier);
        AddIf(name, "ServerKeepAlive", p.ServerKeepAlive);
        AddIf(name, "AuthenticationMethod", p.AuthenticationMethod);
        AddIf(name, "AuthenticationData", p.AuthenticationData);
        AddIf(name, "RequestProblemInformation", p.RequestProblemInformation);
        AddIf(name, "WillDelayInterval", p.WillDelayInterval);
        AddIf(name, "RequestResponseInformation", p.RequestResponseInformation);
        AddIf(name, "ResponseInformation", p.ResponseInformation);
        AddIf(name, "ServerReference", p.ServerReference);
        AddIf(name, "ReasonString", p.ReasonString);
        AddIf(name, "ReceiveMaximum", p.ReceiveMaximum);
        AddIf(name, "TopicAliasMaximum", p.TopicAliasMaximum);
        AddIf(name, "TopicAlias", p.TopicAlias);
        AddIf(name, "MaximumQoS", p.MaximumQoS is { } q ? (uint)q : null);
        AddIf(name, "RetainAvailable", p.RetainAvailable);
        AddIf(name, "MaximumPacketSize", p.MaximumPacketSize);
        AddIf(name, "WildcardSubscriptionAvailable", p.WildcardSubscriptionAvailable);
        AddIf(name, "SubscriptionIdentifierAvailable", p.SubscriptionIdentifierAvailable);
        AddIf(name, "SharedSubscriptionAvailable", p.SharedSubscriptionAvailable);
        var ids = new List<string>();
        foreach (int id in p.SubscriptionIdentifiers)
        {
            ids.Add(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (ids.Count != p.SubscriptionIdentifiers.Count)
        {
            throw new XunitException($"{name}.SubscriptionIdentifiers: Count is {p.SubscriptionIdentifiers.Count} but {ids.Count} enumerated");
        }
        if (ids.Count > 0)
        {
            Add($"{name}.SubscriptionIdentifiers", string.Join(",", ids));
        }
        int pairs = 0;
        foreach (UserProperty pair in p.UserProperties)
        {
            Add($"{name}.UserProperty[{pairs++}]", $"{Render(pair.Name)}={Render(pair.Value)}");
        }
        if (pairs != p.UserProperties.Count)
        {
            throw new XunitException($"{name}.UserProperties: Count is {p.UserProperties.Count} but {pairs} enumerated");
        }
    }

    public bool Equals(PacketFields? other)
    {
        if (other is null || other.Type != Type || other._fields.Count != _fields.Count)
        {
            return false;
        }
        for (int i = 0; i < _fields.Count; i++)
        {
            if (_fields[i].Key != other._fields[i].Key || _fields[i].Value != other._fields[i].Value)
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as PacketFields);

    public override int GetHashCode() => HashCode.Combine(Type, _fields.Count);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(Type.ToString());
        foreach ((string key, string value) in _fields)
        {
            text.Append("  ").Append(key).Append(" = ").AppendLine(value);
        }
        return text.ToString();
    }

    private void AddIf(string block, string name, uint? value)
    {
        if (value is { } v)
        {
            Add($"{block}.{name}", v);
        }
    }

    private void AddIf(string block, string name, bool? value)
    {
        if (value is { } v)
        {
            Add($"{block}.{name}", v);
        }
    }

    private void AddIf(string block, string name, in ReadOnlySequence<byte>? value)
    {
        if (value is { } v)
        {
            Add($"{block}.{name}", Render(v));
        }
    }

    /// <summary>Lowercase hex of the bytes, "<empty>" for none.</summary>
    private static string Render(in ReadOnlySequence<byte> value)
    {
        byte[] bytes = value.ToArray();
        return bytes.Length == 0 ? "<empty>" : Hex.Of(bytes);
    }
}
