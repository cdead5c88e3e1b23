using System.Buffers.Binary;
using System.Text;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>
/// docs/e2e.md, "Associated data": header || u16 len || topic || u16 len || sender || u16 len || recipient,
/// whatever the buffer kept from the previous message.
/// </summary>
public sealed class AssociatedDataBufferTests
{
    private static readonly byte[] LongHeader = [.. Enumerable.Range(1, E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize).Select(static i => (byte)i)];
    private static readonly byte[] ShortHeader = [.. Enumerable.Range(200, E2eEnvelope.HeaderSize).Select(static i => (byte)i)];

    [Fact]
    public void Each_message_gets_its_own_header_topic_and_names_in_any_order_of_changes()
    {
        var buffer = new AssociatedDataBuffer();
        byte[] aliceBob = SessionBinding.Names("alice", "bob");
        byte[] carolBob = SessionBinding.Names("carol", "bob");
        string longTopic = new('t', 1000); // longer than the initial buffer: grows and keeps the binding

        var steps = new (string Topic, bool AsUtf8, byte[] Names, string Sender, byte[] Header)[]
        {
            ("alice/bob/messages", false, aliceBob, "alice", LongHeader),
            (new string("alice/bob/messages".ToCharArray()), false, aliceBob, "alice", ShortHeader), // equal, another instance
            ("alice/bob/messages", true, aliceBob, "alice", LongHeader),
            ("carol/bob/messages", false, carolBob, "carol", ShortHeader),
            ("carol/bob/messages", false, aliceBob, "alice", LongHeader), // same topic, other names
            ("carol/bob/messages", true, carolBob, "carol", LongHeader),
            ("alice/bob/\u00e9t\u00e9", false, aliceBob, "alice", ShortHeader),
            (longTopic, false, carolBob, "carol", LongHeader),
            ("a", true, carolBob, "carol", ShortHeader),
            ("alice/bob/messages", false, aliceBob, "alice", LongHeader),
        };

        foreach ((string topic, bool asUtf8, byte[] names, string sender, byte[] header) in steps)
        {
            Assert.True(asUtf8 ? buffer.TrySetTopic(Encoding.UTF8.GetBytes(topic)) : buffer.TrySetTopic(topic));
            buffer.SetNames(names);
            Assert.Equal(Expected(header, topic, sender, "bob"), buffer.WithHeader(header).ToArray());
        }
    }

    [Fact]
    public void A_topic_longer_than_any_MQTT_topic_is_refused_as_a_string_or_as_bytes()
    {
        var buffer = new AssociatedDataBuffer();

        Assert.False(buffer.TrySetTopic(new string('x', SessionBinding.MaxTopicBytes + 1)));
        Assert.False(buffer.TrySetTopic(new byte[SessionBinding.MaxTopicBytes + 1]));
        Assert.False(buffer.TrySetTopic(new string('\u00e9', (SessionBinding.MaxTopicBytes / 2) + 1))); // 2 bytes each in UTF-8
        Assert.True(buffer.TrySetTopic(new string('x', SessionBinding.MaxTopicBytes)));
    }

    private static byte[] Expected(byte[] header, string topic, string sender, string recipient)
    {
        var expected = new List<byte>(header);
        foreach (string field in new[] { topic, sender, recipient })
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(field);
            byte[] length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)utf8.Length);
            expected.AddRange(length);
            expected.AddRange(utf8);
        }

        return [.. expected];
    }
}
