namespace Mqtt.Broker.Tests;

/// <summary>
/// MQTT 5.0 and 3.1.1 section 4.7: one table of filter/topic cases, checked on both of the broker's matchers, the
/// topic tree (live messages) and the retained store (retained messages on subscribe).
/// </summary>
public sealed class TopicMatchingTests
{
    public static TheoryData<string, string, bool> Cases => new()
    {
        { "a/+/b", "a//b", true },
        { "+", "/", false },
        { "+/+", "/", true },
        { "#", "/", true },
        { "/#", "/", true },
        { "a/#", "a", true },
        { "a/#", "a/", true },
        { "a/+", "a/", true },
        { "a/+", "a", false },
        { "+/#", "/a", true },
        { "a/b/#", "a/b/c/d", true },
        { "a/+/+", "a/b", false },
        { "sport/tennis/+", "sport/tennis/player1/ranking", false },
        { "sport/+", "sport", false },
        { "+/+/+", "a/b/c", true },
        { "$SYS/#", "$SYS", true },
        { "$SYS/+", "$SYS/x", true },
        { "+/x", "$SYS/x", false },
        { "#", "$SYS/x", false },
        { "a/b", "a/b/", false },
        { "A/b", "a/b", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MQTT5_3_3_2_3_live_messages_match_per_section_4_7(string filter, string topic, bool matches)
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync(filter, QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        ReasonCode code = await publisher.PublishAsync(topic, "m", QoS1);
        Assert.Equal(matches ? ReasonCode.Success : ReasonCode.NoMatchingSubscribers, code);
        if (matches)
        {
            Assert.Equal(topic, (await sub.ExpectPublishPacketAsync()).Topic);
        }
        else
        {
            await sub.ExpectNothingPendingAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MQTT311_3_3_1_6_retained_messages_match_per_section_4_7(string filter, string topic, bool matches)
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient publisher = await broker.ConnectAsync("pub", V311);
        await publisher.PublishAsync(topic, "kept", QoS1, retain: true);
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync(filter, QoS1);
        if (matches)
        {
            ReceivedPacket p = await sub.ExpectPublishPacketAsync();
            Assert.Equal(topic, p.Topic);
            Assert.True(p.Publish.Retain);
        }
        else
        {
            await sub.ExpectNothingPendingAsync();
        }
    }
}
