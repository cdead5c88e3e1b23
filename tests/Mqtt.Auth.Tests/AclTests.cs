using Mqtt.Broker;
using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Auth.Tests;

/// <summary>The default rules of SECURITY.md section 4 on a live broker, and the ACL engine's decisions.</summary>
public sealed class AclTests
{
    [Theory]
    [InlineData("#")]
    [InlineData("+/+/messages")]
    [InlineData("alice/bob/messages")]
    [InlineData("alice/+/messages")]
    [InlineData("$share/g/+/bob/messages")]
    public async Task Eve_cannot_subscribe_to_others_mailboxes(string filter)
    {
        await using TestBroker broker = await StartWithUsersAsync();
        using IMqttClient eve = await MqttNet.ConnectPlainAsync(broker.EndPoint, "eve", "pw-eve");
        MqttClientSubscribeResult result = await eve.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(result.Items).ResultCode);
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
    [InlineData("eve", "sensors/#", false)]
    [InlineData("eve", "sensors/+/temperature", true)]
    [InlineData("eve", "sensors/room1/messages", false)]
    [InlineData("eve", "eve/#", true)]
    [InlineData("eve", "eve/+/messages/#", true)]
    [InlineData("eve", "+/pubKey/#", false)]
    [InlineData("eve", "$SYS/broker/#", true)]
    [InlineData(null, "alice/bob/messages", false)]
    public async Task Default_rules_grant_a_filter_only_if_every_topic_it_matches_is_readable(string? user, string filter, bool granted)
    {
        AclAuthorizer acl = AclAuthorizer.CreateDefault();
        Assert.Equal(granted, await acl.CanSubscribeAsync(new ClientInfo("c1", user, null, false), filter));
    }

    [Fact]
    public async Task A_filter_covered_only_by_a_union_of_rules_is_granted_and_a_deny_inside_it_refuses()
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
        Assert.False(await acl.CanSubscribeAsync(Client("ann"), "#"));
        Assert.False(await acl.CanSubscribeAsync(Client("ben"), "a/#"));
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
}
