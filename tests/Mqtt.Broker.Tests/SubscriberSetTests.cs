using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>The set of one filter's subscribers, against a plain model: any order of adds and removes keeps exactly the subscribers added and not removed.</summary>
public sealed class SubscriberSetTests
{
    [Fact]
    public void Adds_and_removes_in_any_order_keep_exactly_the_subscribers_present()
    {
        // Operations on ten possible subscribers (two of them in a shared group): add if absent, else remove.
        Gen.Int[0, 9].Array[0, 60].Sample(operations =>
        {
            SubscriptionEntry[] entries = [.. Enumerable.Range(0, 10).Select(i => new SubscriptionEntry(
                new Session($"c{i}", null), i < 8 ? "a/#" : "$share/g/a/#", new Subscription(Wire.Text("a/#"), QoS1), 0))];
            var set = new SubscriberSet();
            var model = new HashSet<SubscriptionEntry>();
            foreach (int i in operations)
            {
                if (model.Add(entries[i]))
                {
                    set.Add(entries[i]);
                }
                else
                {
                    model.Remove(entries[i]);
                    set.Remove(entries[i]);
                }
                Assert.Equal(model.Where(e => e.ShareGroup is null).ToHashSet(), set.Plain.ToHashSet());
                Assert.Equal(model.Count(e => e.ShareGroup is not null), set.Shared.Values.Sum(g => g.Members.Count));
                Assert.Equal(model.Count == 0, set.IsEmpty);
            }
        }, iter: 2000);
    }

    [Fact]
    public void Removing_a_subscriber_that_is_not_there_changes_nothing()
    {
        var set = new SubscriberSet();
        SubscriptionEntry present = new(new Session("p", null), "t", new Subscription(Wire.Text("t"), QoS0), 0);
        SubscriptionEntry absent = new(new Session("a", null), "t", new Subscription(Wire.Text("t"), QoS0), 0);
        set.Add(present);
        set.Remove(absent);
        Assert.Equal([present], set.Plain);
    }
}
