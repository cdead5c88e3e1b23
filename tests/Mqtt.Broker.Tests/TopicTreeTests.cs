using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>
/// The topic tree against a plain model: after any sequence of subscribes and unsubscribes, a topic matches exactly the
/// subscriptions whose filters <see cref="TopicFilterMatcher"/> says it matches, and nothing is left of the wildcard trie
/// once every subscription is gone. Few level names, so filters share prefixes and nodes get one child, then several,
/// then one again.
/// </summary>
public sealed class TopicTreeTests
{
    private static readonly Gen<string> Level = Gen.OneOf("a", "b", "c", "", "$x");
    private static readonly Gen<string> Topic = Level.Array[1, 4].Select(levels => string.Join('/', levels)).Where(topic => topic.Length > 0);
    private static readonly Gen<string> Filter = Gen.Select(
        Gen.OneOf("a", "b", "c", "", "$x", "+").Array[0, 4],
        Gen.Bool,
        (levels, multiLevel) => levels.Length == 0 ? "#" : string.Join('/', multiLevel ? [.. levels, "#"] : levels));

    [Fact]
    public void A_topic_matches_exactly_the_subscriptions_whose_filters_match_it()
    {
        // Each operation names one of the generated filters: subscribe if absent, else unsubscribe.
        Gen.Select(Filter.Array[1, 12], Gen.Int[0, 11].Array[0, 40], Topic.Array[1, 6]).Sample((filters, operations, topics) =>
        {
            var tree = new TopicTree();
            var present = new Dictionary<int, SubscriptionEntry>();
            foreach (int operation in operations)
            {
                int i = operation % filters.Length;
                if (present.Remove(i, out SubscriptionEntry? entry))
                {
                    tree.Remove(entry);
                }
                else
                {
                    present[i] = entry = new SubscriptionEntry(new Session($"c{i}", null), filters[i], new Subscription(Wire.Text(filters[i]), QualityOfService.AtMostOnce), 0);
                    tree.Add(entry);
                }
            }

            foreach (string topic in topics)
            {
                var matched = new List<SubscriptionEntry>();
                tree.Match(topic, new PermissiveAuthorizer(), matched);
                Assert.Equal(
                    present.Values.Where(e => TopicFilterMatcher.Matches(e.TopicFilter, topic)).Select(e => e.Session.ClientId).Order(StringComparer.Ordinal),
                    matched.Select(e => e.Session.ClientId).Order(StringComparer.Ordinal));
            }
            foreach (SubscriptionEntry entry in present.Values)
            {
                tree.Remove(entry);
            }
            Assert.Equal(0, tree.Count);
            Assert.Equal(1, tree.NodeCount);
        }, iter: 3000);
    }
}
