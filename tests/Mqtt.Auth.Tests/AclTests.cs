using Mqtt.Broker;
using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Auth.Tests;

/// <summary>The default rules of SECURITY.md section 4 on a live broker, and the ACL engine's decisions.</summary>
public sealed class AclTests
{
    [Theory]
    [InlineData("alice/bob/messages")]
    [InlineData("bob/alice/messages")]
    [InlineData("$share/g/alice/bob/messages")]
    public async Task Eve_cannot_subscribe_to_someone_elses_mailbox(string filter)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient eve = await MqttNet.ConnectPlainAsync(broker.EndPoint, "eve", "pw-eve");
        MqttClientSubscribeResult result = await eve.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(result.Items).ResultCode);
    }

    [Theory]
    [InlineData("#")]
    [InlineData("+/+/messages")]
    [InlineData("alice/+/messages")]
    [InlineData("$share/g/+/bob/messages")]
    public async Task Eves_wildcards_are_granted_but_never_deliver_someone_elses_mail(string filter)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient eve = await MqttNet.ConnectPlainAsync(broker.EndPoint, "eve", "pw-eve");
        var received = new TopicRecorder(eve);
        MqttClientSubscribeResult result = await eve.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(filter).WithTopicFilter("alice/eve/messages").Build());
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, result.Items.First().ResultCode);

        using IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice");
        foreach (string topic in new[] { "alice/bob/messages", "alice/eve/messages" })
        {
            await alice.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("mail"u8.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        // Deliveries to one client keep their order, so once alice's later message to eve is in, bob's would be too.
        await received.EveMailArrived.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("alice/bob/messages", received.Topics);
    }

    /// <summary>
    /// Retained messages sent for a new subscription get the same check as live ones (CVE-2018-12546: Mosquitto once
    /// sent them to a wildcard subscriber the ACL did not let read them). No test published a retained message before.
    /// </summary>
    [Theory]
    [InlineData("#")]
    [InlineData("alice/+/messages")]
    public async Task Retained_messages_for_eves_wildcard_get_the_same_check_as_live_ones(string filter)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using (IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice"))
        {
            foreach (string topic in new[] { "alice/bob/messages", "alice/eve/messages" })
            {
                await alice.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("mail"u8.ToArray())
                    .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            }
        }
        using IMqttClient eve = await MqttNet.ConnectPlainAsync(broker.EndPoint, "eve", "pw-eve");
        var received = new TopicRecorder(eve);

        await eve.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build());
        await received.EveMailArrived.WaitAsync(TimeSpan.FromSeconds(10));
        // A second SUBACK follows every retained message of the first SUBSCRIBE, in order.
        await eve.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("eve/sync").Build());

        Assert.Equal(["alice/eve/messages"], received.Topics);
    }

    [Theory]
    [InlineData("#")]
    [InlineData("+/bob/messages")]
    public async Task Messages_queued_while_eve_is_away_get_the_same_check_as_live_ones(string filter)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using (IMqttClient away = await MqttNet.ConnectPlainAsync(broker.EndPoint, "eve", "pw-eve", "eve-1", cleanStart: false, sessionExpiry: 300))
        {
            await away.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter("alice/eve/messages", MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await away.DisconnectAsync();
        }
        using IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice");
        foreach (string topic in new[] { "alice/bob/messages", "alice/eve/messages" })
        {
            await alice.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("mail"u8.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        MqttClientOptions options = MqttNet.Options(broker.EndPoint, "eve-1").WithCleanStart(false).WithSessionExpiryInterval(300)
            .WithCredentials("eve", "pw-eve").Build();
        using IMqttClient back = new MqttClientFactory().CreateMqttClient();
        var received = new TopicRecorder(back);
        Assert.True((await back.ConnectAsync(options)).IsSessionPresent);

        // The session's queue keeps its order: bob's mail, published first, would be in before eve's.
        await received.EveMailArrived.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("alice/bob/messages", received.Topics);
    }

    [Theory]
    [InlineData("bob", "alice/bob/messages")]
    [InlineData("alice", "alice/bob/messages")]
    [InlineData("eve", "+/pubKey")]
    [InlineData("eve", "eve/+/messages")]
    [InlineData("eve", "+/eve/messages")]
    [InlineData("eve", "$SYS/#")]
    public async Task Readers_named_by_the_rules_may_subscribe(string user, string filter)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient client = await MqttNet.ConnectPlainAsync(broker.EndPoint, user, "pw-" + user);
        MqttClientSubscribeResult result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build());
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, Assert.Single(result.Items).ResultCode);
    }

    [Theory]
    [InlineData("bob/pubKey")]
    [InlineData("alice/bob/messages")]
    [InlineData("$SYS/broker/uptime")]
    public async Task Eve_cannot_publish_as_someone_else(string topic)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient eve = await MqttNet.ConnectPlainAsync(broker.EndPoint, "eve", "pw-eve");
        MqttClientPublishResult result = await eve.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic).WithPayload("forged"u8.ToArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
    }

    [Fact]
    public async Task Bob_publishes_his_key_and_alice_reads_it()
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice");
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        await alice.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("+/pubKey").Build());
        using IMqttClient bob = await MqttNet.ConnectPlainAsync(broker.EndPoint, "bob", "pw-bob");
        MqttClientPublishResult published = await bob.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("bob/pubKey").WithPayload("key"u8.ToArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        Assert.Equal(MqttClientPublishReasonCode.Success, published.ReasonCode);
        Assert.Equal("bob/pubKey", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Eve_cannot_take_over_alices_client_id_live_or_offline()
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice", clientId: "alice-phone", cleanStart: false, sessionExpiry: 3600);
        using IMqttClient eve = new MqttClientFactory().CreateMqttClient();
        MqttClientOptions eveOptions = MqttNet.Options(broker.EndPoint, "alice-phone").WithCredentials("eve", "pw-eve").WithCleanStart(false).Build();

        (MqttClientConnectResultCode live, _) = await MqttNet.ConnectAsync(eve, eveOptions);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, live);
        Assert.True(await alice.TryPingAsync(), "alice keeps her connection");

        await alice.DisconnectAsync();
        (MqttClientConnectResultCode offline, _) = await MqttNet.ConnectAsync(eve, eveOptions);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, offline);

        using IMqttClient aliceAgain = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice", clientId: "alice-phone", cleanStart: false, sessionExpiry: 3600);
        Assert.True(aliceAgain.IsConnected);
    }

    [Fact]
    public async Task A_Will_on_someone_elses_topic_is_refused_at_CONNECT()
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient eve = new MqttClientFactory().CreateMqttClient();
        MqttClientOptions options = MqttNet.Options(broker.EndPoint, "eve-will").WithCredentials("eve", "pw-eve")
            .WithWillTopic("bob/pubKey").WithWillPayload("forged").Build();
        (MqttClientConnectResultCode code, _) = await MqttNet.ConnectAsync(eve, options);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, code);
    }

    [Theory]
    [InlineData("eve", "sensors/#", true)]
    [InlineData("eve", "sensors/+/temperature", true)]
    [InlineData("eve", "sensors/room1/messages", false)]
    [InlineData("eve", "eve/#", true)]
    [InlineData("eve", "eve/+/messages/#", true)]
    [InlineData("eve", "$SYS/broker/#", true)]
    [InlineData(null, "alice/bob/messages", false)]
    public async Task Default_rules_grant_an_exact_filter_if_readable_and_a_wildcard_if_it_reaches_a_readable_topic(string? user, string filter, bool granted)
    {
        AclAuthorizer acl = AclAuthorizer.CreateDefault();
        Assert.Equal(granted, await acl.CanSubscribeAsync(new ClientInfo("c1", user, null, false), filter));
    }

    [Fact]
    public async Task A_wildcard_reaching_no_readable_topic_is_refused_and_deliveries_follow_the_rules()
    {
        AclAuthorizer acl = AclAuthorizer.Parse("""
            user ann
            topic read a
            topic read a/+
            topic read a/+/#
            user ben
            topic deny a/secret
            topic read a/#
            """);
        Assert.True(await acl.CanSubscribeAsync(Client("ann"), "a/#"));
        Assert.False(await acl.CanSubscribeAsync(Client("ann"), "b/#"));
        Assert.False(await acl.CanSubscribeAsync(Client("ann"), "b/+"));
        Assert.False(await acl.CanSubscribeAsync(Client("ben"), "a/secret"));
        Assert.True(await acl.CanSubscribeAsync(Client("ben"), "a/#"));
        Assert.True(await acl.CanSubscribeAsync(Client("ben"), "a/public/#"));
        Assert.False(acl.CanReceive(Client("ben"), "a/secret"));
        Assert.True(acl.CanReceive(Client("ben"), "a/secret/x"));
        Assert.False(await acl.CanPublishAsync(Client("ben"), "a/x"));
    }

    [Theory]
    [InlineData("#")]
    [InlineData("+")]
    [InlineData("a/b")]
    public async Task Wildcards_in_a_client_id_do_not_widen_a_pattern_CVE_2017_7650(string clientId)
    {
        AclAuthorizer acl = AclAuthorizer.Parse("pattern readwrite devices/%c/#");
        var client = new ClientInfo(clientId, "mallory", null, false);
        Assert.False(acl.CanReceive(client, "devices/other/status"));
        Assert.False(await acl.CanPublishAsync(client, "devices/other/status"));
        Assert.False(await acl.CanSubscribeAsync(client, "devices/+/status"));
        Assert.True(acl.CanReceive(new ClientInfo("dev1", "mallory", null, false), "devices/dev1/status"));
    }

    /// <summary>A client id starting with '$' does not put a pattern's first level among the broker's topics.</summary>
    [Fact]
    public async Task A_client_id_starting_with_a_dollar_does_not_open_the_brokers_topics()
    {
        AclAuthorizer acl = AclAuthorizer.Parse("pattern readwrite %c/#");
        var client = new ClientInfo("$SYS", "mallory", null, false);
        Assert.False(acl.CanReceive(client, "$SYS/broker/clients/connected"));
        Assert.False(await acl.CanSubscribeAsync(client, "$SYS/#"));
        Assert.False(await acl.CanPublishAsync(client, "$SYS/broker/uptime"));
        Assert.True(acl.CanReceive(new ClientInfo("dev1", "mallory", null, false), "dev1/status"));
    }

    [Fact]
    public async Task A_user_named_percent_c_gets_none_of_the_rights_of_the_client_id_it_uses_CVE_2017_7650()
    {
        await using TestBroker broker = await StartWithUsersAsync();
        await broker.AddUserAsync("%c", "pw-evil"); // new names may not hold '%'; one already in the file still loads
        using IMqttClient asAlice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "%c", "pw-evil", clientId: "alice");
        foreach (string topic in new[] { "alice/pubKey", "alice/bob/messages" })
        {
            MqttClientPublishResult published = await asAlice.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(topic).WithPayload("forged"u8.ToArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, published.ReasonCode);
        }

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await SubscribeAsync(asAlice, "alice/bob/messages"));
        using IMqttClient asBob = await MqttNet.ConnectPlainAsync(broker.EndPoint, "%c", "pw-evil", clientId: "bob");
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await SubscribeAsync(asBob, "alice/bob/messages"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await SubscribeAsync(asBob, "alice/%c/messages"));

        static async Task<MqttClientSubscribeResultCode> SubscribeAsync(IMqttClient client, string filter) =>
            Assert.Single((await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build())).Items).ResultCode;
    }

    [Theory]
    [InlineData("frob read x")]
    [InlineData("topic read a/#/b")]
    [InlineData("topic read a+")]
    [InlineData("user $sys")]
    public void Malformed_ACL_lines_are_refused_with_their_line_number(string line)
    {
        FormatException error = Assert.Throws<FormatException>(() => AclAuthorizer.Parse("# ok\n" + line));
        Assert.StartsWith("ACL line 2:", error.Message, StringComparison.Ordinal);
    }

    private static ClientInfo Client(string user) => new(user + "-c", user, null, false);

    private static async Task<TestBroker> StartWithUsersAsync()
    {
        TestBroker broker = await TestBroker.StartAsync();
        foreach (string user in new[] { "alice", "bob", "eve" })
        {
            await broker.AddUserAsync(user, "pw-" + user);
        }

        return broker;
    }

    /// <summary>The topics a client receives, and when alice's mail to eve (the last message these tests publish) is in.</summary>
    private sealed class TopicRecorder
    {
        private readonly List<string> _topics = [];
        private readonly TaskCompletionSource _eveMail = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TopicRecorder(IMqttClient client) => client.ApplicationMessageReceivedAsync += e =>
        {
            lock (_topics)
            {
                _topics.Add(e.ApplicationMessage.Topic);
            }
            if (e.ApplicationMessage.Topic == "alice/eve/messages")
            {
                _eveMail.TrySetResult();
            }
            return Task.CompletedTask;
        };

        public Task EveMailArrived => _eveMail.Task;

        public string[] Topics
        {
            get
            {
                lock (_topics)
                {
                    return [.. _topics];
                }
            }
        }
    }
}
