using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.Mosquitto;

/// <summary>
/// Mosquitto's mosquitto_pub and mosquitto_sub (MQTT 5 and 3.1.1) against our broker. mosquitto_sub prints
/// "QoS RETAIN TOPIC PAYLOAD" per message (-F "%q %r %t %p").
/// </summary>
public sealed class MosquittoClientTests
{
    private const string Line = "%q %r %t %p";

    public static TheoryData<string, int> VersionsAndQoS()
    {
        var data = new TheoryData<string, int>();
        foreach (string version in new[] { "mqttv5", "mqttv311", "mqttv31" })
        {
            for (int qos = 0; qos <= 2; qos++)
            {
                data.Add(version, qos);
            }
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Messages_go_from_mosquitto_pub_to_mosquitto_sub_at_each_QoS(string version, int qos)
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        string q = qos.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, version, "-t", "mq/t", "-q", "2", "-C", "3", "-F", Line);

        await MosquittoClients.PublishLinesAsync(broker.Port, version, "one\ntwo\nthree\n", "-t", "mq/t", "-q", q);

        Assert.Equal([$"{q} 0 mq/t one", $"{q} 0 mq/t two", $"{q} 0 mq/t three"], await MosquittoClients.MessagesAsync(sub));
    }

    [SkippableTheory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    [InlineData("mqttv31")]
    public async Task A_retained_message_is_set_replaced_and_cleared(string version)
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        await MosquittoClients.PublishAsync(broker.Port, version, "-t", "ret/t", "-m", "v1", "-q", "1", "-r");
        Assert.Equal(["1 1 ret/t v1"], await MosquittoClients.SubscribeOnceAsync(broker.Port, version, "-t", "ret/t", "-q", "1", "-C", "1", "-F", Line));

        await MosquittoClients.PublishAsync(broker.Port, version, "-t", "ret/t", "-m", "v2", "-q", "2", "-r");
        Assert.Equal(["1 1 ret/t v2"], await MosquittoClients.SubscribeOnceAsync(broker.Port, version, "-t", "ret/t", "-q", "1", "-C", "1", "-F", Line));

        // -n sends an empty payload: it clears the topic. Retained messages come in filter order, so with the
        // cleared topic subscribed first, the marker can only come first if nothing is left on it. Both at QoS 1, so
        // each is in the broker before its process exits (at QoS 0 a loaded broker may take the next connection first).
        await MosquittoClients.PublishAsync(broker.Port, version, "-t", "ret/t", "-n", "-r", "-q", "1");
        await MosquittoClients.PublishAsync(broker.Port, version, "-t", "ret/marker", "-m", "marker", "-r", "-q", "1");
        Assert.Equal(["0 1 ret/marker marker"], await MosquittoClients.SubscribeOnceAsync(broker.Port, version, "-t", "ret/t", "-t", "ret/marker", "-C", "1", "-F", Line));
    }

    [SkippableTheory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    public async Task A_subscriber_with_a_count_exits_after_that_many_messages(string version)
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, version, "-t", "count/t", "-q", "1", "-C", "3");

        await MosquittoClients.PublishLinesAsync(broker.Port, version, "1\n2\n3\n4\n5\n", "-t", "count/t", "-q", "1");

        Assert.Equal(["1", "2", "3"], await MosquittoClients.MessagesAsync(sub));
    }

    [SkippableTheory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    public async Task Wildcard_filters_match_by_level_and_overlaps_deliver_once(string version)
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, version,
            "-t", "wc/+/temp", "-t", "wc/kitchen/#", "-q", "1", "-C", "4", "-v");

        foreach (string topic in new[] { "wc/kitchen/temp", "wc/hall/light", "wc/hall/temp", "wc/kitchen/light/x", "wc/kitchen", "wc/hall/temp/x", "wcx/hall/temp", "wc/cellar/temp" })
        {
            await MosquittoClients.PublishAsync(broker.Port, version, "-t", topic, "-m", "m", "-q", "1");
        }

        // "wc/kitchen/#" also matches its parent "wc/kitchen" (4.7.1.2); a message matching both filters comes once.
        Assert.Equal(["wc/kitchen/temp m", "wc/hall/temp m", "wc/kitchen/light/x m", "wc/kitchen m"], await MosquittoClients.MessagesAsync(sub));
    }

    [SkippableFact]
    public async Task MQTT_5_properties_from_mosquitto_pub_reach_mosquitto_sub()
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, "mqttv5",
            "-t", "p5/t", "-q", "1", "-C", "1", "-D", "subscribe", "subscription-identifier", "42", "-F", "%C|%P|%R|%D|%S|%F|%p");

        await MosquittoClients.PublishAsync(broker.Port, "mqttv5", "-t", "p5/t", "-m", "body", "-q", "1",
            "-D", "publish", "content-type", "text/plain",
            "-D", "publish", "user-property", "k", "v",
            "-D", "publish", "response-topic", "p5/reply",
            "-D", "publish", "correlation-data", "abc123",
            "-D", "publish", "payload-format-indicator", "1");

        Assert.Equal(["text/plain|k:v|p5/reply|abc123|42|1|body"], await MosquittoClients.MessagesAsync(sub));
    }

    [SkippableFact]
    public async Task mosquitto_pub_may_publish_with_a_Topic_Alias()
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, "mqttv5", "-t", "alias/#", "-q", "1", "-C", "3", "-v");

        // With -l and a topic alias, mosquitto_pub sends the topic once and then only the alias.
        await MosquittoClients.PublishLinesAsync(broker.Port, "mqttv5", "a\nb\nc\n", "-t", "alias/long/topic/name", "-q", "1", "-D", "publish", "topic-alias", "1");

        Assert.Equal(["alias/long/topic/name a", "alias/long/topic/name b", "alias/long/topic/name c"], await MosquittoClients.MessagesAsync(sub));
    }

    [SkippableFact]
    public async Task Mosquitto_and_MQTTnet_clients_of_either_version_talk_through_the_broker()
    {
        MosquittoClients.RequireClients();
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer mqttNet = await MqttNetPeer.ConnectAsync(broker.Port, "mqttnet");
        await mqttNet.SubscribeAsync("cross/to-mqttnet", MqttQualityOfServiceLevel.ExactlyOnce);
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, "mqttv311", "-t", "cross/to-mosquitto", "-q", "2", "-C", "1", "-F", Line);

        await MosquittoClients.PublishAsync(broker.Port, "mqttv311", "-t", "cross/to-mqttnet", "-m", "from mosquitto 3.1.1", "-q", "2");
        await mqttNet.PublishAsync("cross/to-mosquitto", "from MQTTnet 5", MqttQualityOfServiceLevel.ExactlyOnce);

        ReceivedMessage atMqttNet = await mqttNet.NextAsync();
        Assert.Equal(("from mosquitto 3.1.1", MqttQualityOfServiceLevel.ExactlyOnce), (atMqttNet.Text, atMqttNet.Message.QualityOfServiceLevel));
        Assert.Equal(["2 0 cross/to-mosquitto from MQTTnet 5"], await MosquittoClients.MessagesAsync(sub));
    }
}
