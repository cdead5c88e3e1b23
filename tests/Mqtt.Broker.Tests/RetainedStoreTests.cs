using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>
/// The retained store's trie against a plain model: after any sequence of stores, replacements and clears, a filter
/// finds exactly the retained topics that <see cref="TopicFilterMatcher"/> says it matches, expired messages are
/// skipped and then swept, and nothing is left of the trie once every topic is cleared.
/// </summary>
public sealed class RetainedStoreTests
{
    // Few level names, so generated topics share prefixes and filters hit them; '$x' first marks a system topic.
    private static readonly Gen<string> TopicLevel = Gen.OneOf("a", "b", "", "$x");
    private static readonly Gen<string> Topic = TopicLevel.Array[1, 4].Select(levels => string.Join('/', levels)).Where(topic => topic.Length > 0);
    private static readonly Gen<string> Filter = Gen.Select(
        Gen.OneOf("a", "b", "", "$x", "+").Array[0, 4],
        Gen.Bool,
        (levels, multiLevel) => levels.Length == 0 ? "#" : string.Join('/', multiLevel ? [.. levels, "#"] : levels));

    /// <summary>One change: a topic, and whether it is cleared (empty payload) or stored with or without a 1 s expiry.</summary>
    private static readonly Gen<(string Topic, bool Clear, bool Expiring)> Change = Gen.Select(Topic, Gen.Int[0, 4], Gen.Bool,
        (topic, kind, expiring) => (topic, kind == 0, expiring));

    [Fact]
    public void MQTT5_3_3_1_6_a_filter_finds_exactly_the_retained_topics_it_matches()
    {
        Gen.Select(Change.Array[0, 30], Filter.Array[1, 8]).Sample((changes, filters) =>
        {
            var store = new RetainedStore(new BrokerOptions());
            var model = new Dictionary<string, bool>(StringComparer.Ordinal); // topic -> expiring
            foreach ((string topic, bool clear, bool expiring) in changes)
            {
                Assert.True(store.TrySet(Message(topic, clear, expiring)));
                if (clear)
                {
                    model.Remove(topic);
                }
                else
                {
                    model[topic] = expiring;
                }
            }
            long now = Environment.TickCount64;
            long later = now + 10_000;

            Assert.Equal(model.Count, store.Count);
            foreach (string filter in filters)
            {
                Assert.Equal(Expected(model, filter, includeExpiring: true), Topics(store.Match(filter, now)));
                Assert.Equal(Expected(model, filter, includeExpiring: false), Topics(store.Match(filter, later)));
            }
            Assert.Equal(model.Count(m => m.Value), store.RemoveExpired(later));
            Assert.Equal(model.Count(m => !m.Value), store.Count);
            foreach (string topic in model.Keys)
            {
                Assert.True(store.TrySet(Message(topic, clear: true, expiring: false)));
            }
            Assert.Equal(0, store.Count);
            Assert.Equal(1, store.NodeCount);
        }, iter: 3000);
    }

    [Fact]
    public void A_retained_topic_of_the_most_levels_a_topic_can_have_is_matched_and_swept()
    {
        var store = new RetainedStore(new BrokerOptions());
        string deep = string.Join('/', Enumerable.Repeat("d", 32_768));
        Assert.True(store.TrySet(Message(deep, clear: false, expiring: true)));

        Assert.Equal([deep], Topics(store.Match("#", Environment.TickCount64)));
        Assert.Equal([deep], Topics(store.Match("d/#", Environment.TickCount64)));
        Assert.Equal(1, store.RemoveExpired(Environment.TickCount64 + 10_000));
        Assert.Equal(1, store.NodeCount);
    }

    [Theory]
    [InlineData("sensor/#")]
    [InlineData("sensor/+")]
    public void MQTT5_sec_3_3_1_3_retained_siblings_come_back_in_the_order_they_were_first_retained(string filter)
    {
        var store = new RetainedStore(new BrokerOptions());
        string[] topics = ["sensor/1", "sensor/2", "sensor/3", "sensor/4", "sensor/5"];
        foreach (string topic in topics)
        {
            Assert.True(store.TrySet(Message(topic, clear: false, expiring: false)));
        }
        Assert.Equal(topics, store.Match(filter, Environment.TickCount64).Select(m => m.Topic));
    }

    [Fact]
    public void A_topics_current_message_is_the_last_one_retained_until_cleared_and_every_change_moves_the_version()
    {
        Gen.Select(Change.Array[1, 30], Topic).Sample((changes, probe) =>
        {
            var store = new RetainedStore(new BrokerOptions());
            var current = new Dictionary<string, ApplicationMessage>(StringComparer.Ordinal);
            var seen = new List<ApplicationMessage>();
            foreach ((string topic, bool clear, bool expiring) in changes)
            {
                long before = store.Version;
                ApplicationMessage message = Message(topic, clear, expiring);
                Assert.True(store.TrySet(message));
                Assert.NotEqual(before, store.Version);
                seen.Add(message);
                if (clear)
                {
                    current.Remove(topic);
                }
                else
                {
                    current[topic] = message;
                }
            }
            foreach (ApplicationMessage message in seen)
            {
                Assert.Same(current.GetValueOrDefault(message.Topic), store.Current(message.Topic));
            }
            Assert.Same(current.GetValueOrDefault(probe), store.Current(probe));
        });
    }

    [Fact]
    public void The_store_keeps_within_its_bounds_refusing_only_what_would_pass_them_and_counting_the_bytes_it_holds()
    {
        // The documented rule (docs/broker.md): a new topic needs room for one more message and its bytes; a replacement
        // adds no message and is refused only when it grows the bytes past the bound, and then the topic is cleared;
        // clearing always works. Payloads of 1-3 bytes, so the byte bound and the count bound each bind in turn.
        Gen.Select(Gen.Select(Topic, Gen.Int[0, 3]).Array[1, 40], Gen.Int[0, 4], Gen.Int[0, 60]).Sample((changes, maximumMessages, maximumBytes) =>
        {
            var store = new RetainedStore(new BrokerOptions { MaximumRetainedMessages = maximumMessages, MaximumRetainedBytes = maximumBytes });
            var model = new Dictionary<string, int>(StringComparer.Ordinal); // topic -> stored size
            foreach ((string topic, int payload) in changes)
            {
                ApplicationMessage message = Message(topic, new string('m', payload));
                long bytesAfter = model.Values.Sum() - model.GetValueOrDefault(topic) + message.Size;
                bool roomForOneMore = maximumMessages == 0 || model.Count < maximumMessages;
                bool roomForBytes = maximumBytes == 0 || bytesAfter <= maximumBytes || message.Size <= model.GetValueOrDefault(topic);
                bool fits = payload == 0 || (model.ContainsKey(topic) || roomForOneMore) && roomForBytes;
                int nodes = store.NodeCount;

                Assert.Equal(fits, store.TrySet(message));
                if (fits && payload > 0)
                {
                    model[topic] = message.Size;
                }
                else
                {
                    if (!model.Remove(topic))
                    {
                        Assert.Equal(nodes, store.NodeCount); // nothing stored for the topic: no node left behind
                    }
                }
                Assert.Equal(model.Count, store.Count);
                Assert.Equal((model.Count, model.Values.Sum(m => (long)m)), store.ClientUsage);
            }
        });
    }

    [Fact]
    public void Restored_messages_are_kept_past_the_bounds_may_still_be_replaced_and_expired_ones_leave_the_counts()
    {
        var store = new RetainedStore(new BrokerOptions { MaximumRetainedMessages = 1 });
        store.Restore(Message("a", clear: false, expiring: true));
        store.Restore(Message("b", clear: false, expiring: false));

        Assert.Equal(2, store.Count);
        Assert.True(store.TrySet(Message("b", "newer"))); // a replacement adds no message
        Assert.False(store.TrySet(Message("c", clear: false, expiring: false)));
        Assert.Equal(1, store.RemoveExpired(Environment.TickCount64 + 10_000));
        Assert.Equal((1, Message("b", "newer").Size), store.ClientUsage);
    }

    [Fact]
    public void An_expired_message_not_yet_swept_does_not_keep_a_new_one_out()
    {
        var store = new RetainedStore(new BrokerOptions { MaximumRetainedMessages = 1 });
        // Received two seconds ago with a one-second expiry: expired, and no sweep has run.
        Assert.True(store.TrySet(Message("a", clear: false, expiring: true).PublishedAt(Environment.TickCount64 - 2000)));

        Assert.True(store.TrySet(Message("b", "y")));
        Assert.Null(store.Current("a"));
    }

    [Fact]
    public void The_brokers_own_messages_are_stored_outside_the_bounds_and_leave_the_clients_room()
    {
        var store = new RetainedStore(new BrokerOptions { MaximumRetainedMessages = 1, MaximumRetainedBytes = 64 });
        ApplicationMessage sys = Message("$SYS/broker/uptime", new string('s', 100));
        Assert.False(store.TrySet(Message("$other", new string('s', 100)))); // only $SYS is the broker's
        Assert.False(store.TrySet(ApplicationMessage.Copy( // and only its own messages there
            new PublishPacket { Topic = Wire.Text("$SYS/x"), Payload = Wire.Text(new string('s', 100)), Retain = true }, publisherClientId: "client")));

        Assert.True(store.TrySet(sys));
        Assert.True(store.TrySet(Message("a", "m")));
        Assert.False(store.TrySet(Message("b", "m")));
        Assert.Equal(2, store.Count);
        Assert.Equal((1, Message("a", "m").Size), store.ClientUsage);
    }

    private static ApplicationMessage Message(string topic, bool clear, bool expiring) => Message(topic, clear ? "" : "m", expiring);

    private static ApplicationMessage Message(string topic, string payload, bool expiring = false) => ApplicationMessage.Copy(
        new PublishPacket
        {
            Topic = Wire.Text(topic),
            Payload = payload.Length == 0 ? default : Wire.Text(payload),
            Retain = true,
            Properties = expiring ? new MqttProperties { MessageExpiryInterval = 1 } : default,
        },
        publisherClientId: null);

    private static string[] Expected(Dictionary<string, bool> model, string filter, bool includeExpiring) =>
        [.. model.Where(m => (includeExpiring || !m.Value) && TopicFilterMatcher.Matches(filter, m.Key)).Select(m => m.Key).Order(StringComparer.Ordinal)];

    private static string[] Topics(List<ApplicationMessage> messages) => [.. messages.Select(m => m.Topic).Order(StringComparer.Ordinal)];
}
