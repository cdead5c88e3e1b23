using System.Text;

namespace Mqtt.Broker.Tests;

/// <summary>
/// BrokerOptions.PersistenceFile (docs/broker.md, "State across a restart"): retained messages and sessions that outlive
/// their connection are saved at StopAsync and every AutosaveInterval, and loaded by the next broker on the same file.
/// </summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mqttcore-state-").FullName;

    private string StateFile => Path.Combine(_folder, "state");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<TestBroker> StartAsync(Action<BrokerOptions>? configure = null) => TestBroker.StartAsync(o =>
    {
        o.PersistenceFile = StateFile;
        o.AutosaveInterval = TimeSpan.Zero;
        configure?.Invoke(o);
    });

    /// <summary>Stops the broker (which saves) and starts a new one on the same file, on a new port.</summary>
    private async Task<TestBroker> RestartAsync(TestBroker broker, Action<BrokerOptions>? configure = null)
    {
        await broker.DisposeAsync();
        return await StartAsync(configure);
    }

    [Fact]
    public async Task Retained_messages_survive_a_restart_with_their_properties_QoS_and_exact_payload()
    {
        byte[] payload = [0x00, 0xFF, 0x80, 0x7F, (byte)'x'];
        var properties = new MqttProperties
        {
            PayloadFormatIndicator = 0,
            MessageExpiryInterval = 3600,
            ContentType = Wire.Text("application/x-test"),
            ResponseTopic = Wire.Text("reply/here"),
            CorrelationData = new ReadOnlySequence<byte>([1, 2, 3]),
            UserProperties = UserProperties.Create(("k", "v"), ("k", "w")),
        };
        TestBroker broker = await StartAsync();
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("kept/one", payload, QoS1, retain: true, properties);
        }

        await using TestBroker restarted = await RestartAsync(broker);

        Assert.Equal(1, restarted.Broker.Retained.Count);
        await using RawClient subscriber = await restarted.ConnectAsync("subscriber");
        await subscriber.SubscribeAsync("kept/#", QoS2);
        PublishPacket kept = await subscriber.ExpectPublishAsync();
        Assert.Equal(("kept/one", QoS1, true), (kept.TopicString, kept.QoS, kept.Retain));
        Assert.Equal(payload, kept.Payload.ToArray());
        Assert.Equal((byte?)0, kept.Properties.PayloadFormatIndicator);
        Assert.InRange(kept.Properties.MessageExpiryInterval!.Value, 3500u, 3600u);
        Assert.Equal("application/x-test", MqttUtf8.GetString(kept.Properties.ContentType!.Value));
        Assert.Equal("reply/here", MqttUtf8.GetString(kept.Properties.ResponseTopic!.Value));
        Assert.Equal([1, 2, 3], kept.Properties.CorrelationData!.Value.ToArray());
        var userProperties = new List<(string, string)>();
        foreach (UserProperty property in kept.Properties.UserProperties)
        {
            userProperties.Add((property.NameString, property.ValueString));
        }
        Assert.Equal([("k", "v"), ("k", "w")], userProperties);
        await subscriber.SendAckAsync(PacketType.PubAck, kept.PacketId);
        await subscriber.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_retained_message_cleared_after_a_restart_stays_cleared_after_the_next()
    {
        TestBroker broker = await StartAsync();
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("status/a", "set", QoS1, retain: true);
            await publisher.PublishAsync("status/b", "set", QoS1, retain: true);
        }
        broker = await RestartAsync(broker);
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("status/a", "", QoS1, retain: true);
        }

        await using TestBroker restarted = await RestartAsync(broker);

        Assert.Equal(1, restarted.Broker.Retained.Count);
        await using RawClient subscriber = await restarted.ConnectAsync("subscriber");
        await subscriber.SubscribeAsync("status/#", QoS0);
        Assert.Equal("status/b", (await subscriber.ExpectPublishPacketAsync()).Topic);
        await subscriber.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task Message_expiry_counts_the_time_the_broker_was_down()
    {
        TestBroker broker = await StartAsync();
        await SubscribeAndLeaveAsync(broker, "subscriber", "expiring/#", QoS1);
        var oneSecond = new MqttProperties { MessageExpiryInterval = 1 };
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("expiring/retained", "gone", QoS1, retain: true, oneSecond);
            await publisher.PublishAsync("expiring/queued", "gone", QoS1, properties: oneSecond);
            await publisher.PublishAsync("expiring/queued", "lasting", QoS1);
        }
        await broker.DisposeAsync();
        // Down for longer than the messages' one second (the downtime itself, not a proof).
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await using TestBroker restarted = await StartAsync();

        await using RawClient back = await ResumeAsync(restarted, "subscriber");
        ReceivedPacket lasting = await back.ExpectPublishPacketAsync();
        Assert.Equal("lasting", lasting.PayloadText);
        await back.SendAckAsync(PacketType.PubAck, lasting.Publish.PacketId);
        await back.ExpectNothingPendingAsync();
        await using RawClient fresh = await restarted.ConnectAsync("fresh");
        await fresh.SubscribeAsync("expiring/#", QoS1);
        await fresh.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task An_MQTT5_session_comes_back_with_its_subscription_options_and_queued_messages_in_order()
    {
        TestBroker broker = await StartAsync();
        await using (RawClient subscriber = await broker.ConnectAsync("subscriber", properties: Persistent()))
        {
            await subscriber.SubscribeAsync("plain/+", QoS1, noLocal: true, retainAsPublished: true, subscriptionIdentifier: 7);
            await subscriber.SubscribeAsync("$share/group/shared", QoS2, subscriptionIdentifier: 9);
        }
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("plain/a", "0", QoS2, retain: true);
            await publisher.PublishAsync("shared", "1", QoS2);
            await publisher.PublishAsync("plain/b", "2", QoS1);
        }

        await using TestBroker restarted = await RestartAsync(broker);

        Assert.Equal((1, 2), (restarted.Broker.SessionCount, restarted.Broker.Subscriptions.Count));
        await using RawClient back = await ResumeAsync(restarted, "subscriber");
        // Queued in order; the maximum QoS 1 of plain/+ held, Retain As Published kept RETAIN.
        var expected = new[] { ("plain/a", "0", QoS1, true, 7), ("shared", "1", QoS2, false, 9), ("plain/b", "2", QoS1, false, 7) };
        foreach (var (topic, payload, qos, retain, identifier) in expected)
        {
            ReceivedPacket queued = await back.ExpectPublishPacketAsync();
            Assert.Equal((topic, payload, qos, retain, identifier),
                (queued.Topic, queued.PayloadText, queued.Publish.QoS, queued.Publish.Retain, Assert.Single(Identifiers(queued.Publish))));
            await Acknowledge(back, queued.Publish);
        }
        // The subscriptions are live: No Local still skips the subscriber's own message, the shared one still delivers.
        await back.PublishAsync("plain/own", "own", QoS1);
        await using RawClient publisher2 = await restarted.ConnectAsync("publisher");
        await publisher2.PublishAsync("shared", "3", QoS1);
        ReceivedPacket live = await back.ExpectPublishPacketAsync();
        Assert.Equal(("shared", "3", 9), (live.Topic, live.PayloadText, Assert.Single(Identifiers(live.Publish))));
        await back.SendAckAsync(PacketType.PubAck, live.Publish.PacketId);
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_311_Clean_Session_0_session_comes_back_with_its_subscription_and_queued_messages()
    {
        TestBroker broker = await StartAsync();
        await using (RawClient subscriber = await broker.ConnectAsync("old-client", V311, cleanStart: false))
        {
            await subscriber.SubscribeAsync("legacy/#", QoS1);
        }
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("legacy/x", "0", QoS1);
            await publisher.PublishAsync("legacy/y", "1", QoS2);
        }

        await using TestBroker restarted = await RestartAsync(broker);

        await using RawClient back = await restarted.OpenAsync(V311);
        Assert.True((await back.ConnectAsync("old-client", cleanStart: false)).SessionPresent);
        await back.ExpectPayloadsInOrderAsync(2);
        await using RawClient publisher2 = await restarted.ConnectAsync("publisher");
        await publisher2.PublishAsync("legacy/z", "after", QoS1);
        Assert.Equal("after", (await back.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task An_unacknowledged_QoS1_message_is_resent_after_a_restart_with_DUP_and_its_packet_id()
    {
        TestBroker broker = await StartAsync();
        PublishPacket first = await ReceiveAndDropAsync(broker, "unacknowledged", QoS1, static (_, _) => Task.CompletedTask);
        Assert.False(first.Duplicate);
        ushort packetId = first.PacketId;

        await using TestBroker restarted = await RestartAsync(broker);

        await using RawClient back = await ResumeAsync(restarted, "subscriber");
        ReceivedPacket resent = await back.ExpectPublishPacketAsync();
        Assert.Equal(("unacknowledged", true, packetId), (resent.PayloadText, resent.Publish.Duplicate, resent.Publish.PacketId));
        await back.SendAckAsync(PacketType.PubAck, packetId);
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_QoS2_message_released_by_PUBREC_resumes_with_PUBREL_after_a_restart()
    {
        TestBroker broker = await StartAsync();
        ushort packetId = (await ReceiveAndDropAsync(broker, "received", QoS2, static async (subscriber, publish) =>
        {
            await subscriber.SendAckAsync(PacketType.PubRec, publish.PacketId);
            Assert.Equal(publish.PacketId, (await subscriber.ExpectAsync(PacketType.PubRel)).PubRel.PacketId);
        })).PacketId;

        await using TestBroker restarted = await RestartAsync(broker);

        await using RawClient back = await ResumeAsync(restarted, "subscriber");
        Assert.Equal(packetId, (await back.ExpectAsync(PacketType.PubRel)).PubRel.PacketId);
        await back.SendAckAsync(PacketType.PubComp, packetId);
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task An_incoming_QoS2_id_awaiting_PUBREL_is_still_known_after_a_restart_and_not_delivered_twice()
    {
        TestBroker broker = await StartAsync();
        await SubscribeAndLeaveAsync(broker, "subscriber", "once", QoS1);
        var publish = new PublishPacket { Topic = Wire.Text("once"), Payload = Wire.Text("only once"), QoS = QoS2, PacketId = 42 };
        await using (RawClient publisher = await broker.ConnectAsync("publisher", properties: Persistent()))
        {
            await publisher.SendAsync(publish);
            Assert.Equal(42, (await publisher.ExpectAsync(PacketType.PubRec)).PubRec.PacketId);
            publisher.Drop();
        }

        await using TestBroker restarted = await RestartAsync(broker);

        await using RawClient back = await ResumeAsync(restarted, "publisher");
        // The client did not see the PUBREC: it sends the PUBLISH again [MQTT-4.3.3-10], then releases it.
        await back.SendAsync(publish with { Duplicate = true });
        Assert.Equal(42, (await back.ExpectAsync(PacketType.PubRec)).PubRec.PacketId);
        await back.SendAckAsync(PacketType.PubRel, 42);
        PubCompPacket comp = (await back.ExpectAsync(PacketType.PubComp)).PubComp;
        Assert.Equal((42, ReasonCode.Success), (comp.PacketId, comp.ReasonCode));
        await back.PublishAsync("once", "marker", QoS1);
        await using RawClient subscriberBack = await ResumeAsync(restarted, "subscriber");
        foreach (string payload in new[] { "only once", "marker" })
        {
            ReceivedPacket delivered = await subscriberBack.ExpectPublishPacketAsync();
            Assert.Equal(payload, delivered.PayloadText);
            await subscriberBack.SendAckAsync(PacketType.PubAck, delivered.Publish.PacketId);
        }
        await subscriberBack.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_save_holds_an_incoming_QoS2_id_only_with_the_copies_its_message_was_routed_to()
    {
        // Sessions are captured in the order they were made: the subscriber, "between", the publisher. The save is
        // stopped on "between" while the publisher's QoS 2 message comes in, so without one instant for the whole
        // capture it would hold the publisher's id but not the subscriber's copy, and a crash then loses the message.
        await using TestBroker broker = await StartAsync();
        await SubscribeAndLeaveAsync(broker, "subscriber", "flow", QoS2);
        await using RawClient between = await broker.ConnectAsync("between", properties: Persistent());
        await using RawClient publisher = await broker.ConnectAsync("publisher", properties: Persistent());
        Lock betweenGate = broker.Broker.SessionOf("between")!.Gate;
        using var release = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            lock (betweenGate)
            {
                held.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }
        });
        holder.Start();
        held.Wait(TimeSpan.FromSeconds(5));
        var save = new Thread(broker.Broker.SaveState);
        save.Start();
        await Eventually.TrueAsync(() => save.ThreadState.HasFlag(ThreadState.WaitSleepJoin), "the save waiting for \"between\"", TimeSpan.FromSeconds(5));

        await publisher.SendAsync(new PublishPacket { Topic = Wire.Text("flow"), Payload = Wire.Text("exactly once"), QoS = QoS2, PacketId = 7 });
        Task<ReceivedPacket> pubRec = publisher.ExpectAsync(PacketType.PubRec, TimeSpan.FromSeconds(10));
        ReaderWriterLockSlim saveGate = broker.Broker.SaveGate!;
        await Eventually.TrueAsync(() => pubRec.IsCompleted || saveGate.WaitingReadCount > 0, "the message routed, or waiting for the save", TimeSpan.FromSeconds(5));
        release.Set();
        holder.Join();
        save.Join();

        Assert.Equal(7, (await pubRec).PubRec.PacketId);
        BrokerState saved = StateFileReader.Read(StateFile, StateClock.Now);
        bool idHeld = saved.Sessions.Single(s => s.ClientId == "publisher").IncomingQoS2.Contains(7);
        bool copyKept = saved.Sessions.Single(s => s.ClientId == "subscriber").Queued.Count == 1;
        Assert.Equal(idHeld, copyKept);
        broker.Broker.SaveState();
        saved = StateFileReader.Read(StateFile, StateClock.Now);
        Assert.Equal([7], saved.Sessions.Single(s => s.ClientId == "publisher").IncomingQoS2);
        Assert.Equal("exactly once", Encoding.UTF8.GetString(Assert.Single(saved.Sessions.Single(s => s.ClientId == "subscriber").Queued).Message.Packet.Payload.ToArray()));
    }

    /// <summary>
    /// A save while a client's retained burst waits (docs/broker.md, "Queues and drops") keeps what an offline queue
    /// would: the message routed behind the burst, which its publisher was told was delivered.
    /// </summary>
    [Fact]
    public async Task A_save_while_a_retained_burst_waits_keeps_the_message_routed_behind_it()
    {
        TestBroker broker = await StartAsync(o => o.MaximumQueuedMessages = 5);
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            for (int i = 0; i < 30; i++)
            {
                await publisher.PublishAsync($"p/{i}", $"retained {i}", QoS1, retain: true);
            }
            await using RawClient subscriber = await broker.ConnectAsync("subscriber", properties: new MqttProperties
            {
                SessionExpiryInterval = 3600, ReceiveMaximum = 1,
            });
            await subscriber.SubscribeAsync("p/#", QoS1);
            Assert.Equal("retained 0", (await subscriber.ExpectPublishPacketAsync()).PayloadText);
            Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("p/live", "live", QoS1));
            // Saved while the subscriber is connected and the rest of its burst waits; the save at stop comes after the
            // connection has closed, so it is set aside and put back.
            broker.Broker.SaveState();
            File.Copy(StateFile, StateFile + ".connected");
            subscriber.Drop();
        }
        await broker.DisposeAsync();
        File.Copy(StateFile + ".connected", StateFile, overwrite: true);
        await using TestBroker restarted = await StartAsync();

        await using RawClient back = await ResumeAsync(restarted, "subscriber");
        var payloads = new List<string>();
        for (int i = 0; i < 30 && payloads.LastOrDefault() != "live"; i++)
        {
            ReceivedPacket publish = await back.ExpectPublishPacketAsync();
            payloads.Add(publish.PayloadText);
            await back.SendAckAsync(PacketType.PubAck, publish.Publish.PacketId);
        }
        Assert.Equal("live", payloads[^1]);
        Assert.Equal(payloads.Count - 1, payloads.Distinct().Count(p => p.StartsWith("retained ", StringComparison.Ordinal)));
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_session_with_Session_Expiry_0_is_not_saved()
    {
        await using TestBroker broker = await StartAsync();
        await using RawClient connected = await broker.ConnectAsync("short-lived");
        await connected.SubscribeAsync("t", QoS1);
        await using RawClient persistent = await broker.ConnectAsync("long-lived", properties: Persistent());

        broker.Broker.SaveState();

        BrokerState saved = StateFileReader.Read(StateFile, StateClock.Now);
        Assert.Equal("long-lived", Assert.Single(saved.Sessions).ClientId);
    }

    [Fact]
    public async Task A_session_whose_expiry_passed_while_the_broker_was_down_is_gone()
    {
        TestBroker broker = await StartAsync();
        await using (RawClient client = await broker.ConnectAsync("brief", properties: Persistent(2)))
        {
            await client.SubscribeAsync("t", QoS1);
        }
        await broker.DisposeAsync();
        // Down for longer than the session's two seconds (the downtime itself, not a proof).
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await using TestBroker restarted = await StartAsync();

        Assert.Equal((0, 0), (restarted.Broker.SessionCount, restarted.Broker.Subscriptions.Count));
        await using RawClient back = await restarted.OpenAsync();
        Assert.False((await back.ConnectAsync("brief", cleanStart: false, properties: Persistent())).SessionPresent);
    }

    [Fact]
    public async Task The_session_of_a_user_removed_from_the_credential_store_is_dropped_at_load()
    {
        TestBroker broker = await StartAsync(o => o.PasswordAuthenticator = new PasswordList());
        await using (RawClient alice = await broker.OpenAsync())
        {
            await alice.ConnectAsync("alice-device", properties: Persistent(), userName: "alice", password: "secret"u8.ToArray());
            await alice.SubscribeAsync("alice/#", QoS1);
        }
        await using (RawClient anonymous = await broker.ConnectAsync("anonymous-device", properties: Persistent()))
        {
            await anonymous.SubscribeAsync("public/#", QoS1);
        }
        await broker.DisposeAsync();
        // A credential store in which alice is no more (only bob is).
        using var credentials = new CredentialStore(Path.Combine(_folder, "data"), watch: false);
        Assert.True(await credentials.TryAddAsync(Mqtt.Security.Credentials.UserCredentials.Derive("bob", "pw")));

        await using TestBroker restarted = await StartAsync(o => o.CredentialStore = credentials);

        Assert.Equal((1, 1), (restarted.Broker.SessionCount, restarted.Broker.Subscriptions.Count));
        Assert.Null(restarted.Broker.ConnectionOf("alice-device"));
        await using RawClient back = await ResumeAsync(restarted, "anonymous-device");
    }

    [Fact]
    public async Task Autosave_writes_the_state_while_the_broker_runs_and_a_killed_broker_restarts_from_it()
    {
        // Never stopped before the second broker loads: as if killed after its last autosave.
        await using TestBroker running = await StartAsync(o => o.AutosaveInterval = TimeSpan.FromSeconds(1));
        await using (RawClient client = await running.ConnectAsync("device", properties: Persistent()))
        {
            await client.SubscribeAsync("device/commands", QoS1);
            await client.PublishAsync("device/status", "online", QoS1, retain: true);
        }
        await Eventually.TrueAsync(
            () => File.Exists(StateFile) && StateFileReader.Read(StateFile, StateClock.Now) is { Retained.Count: 1, Sessions.Count: 1 },
            "an autosave with the retained message and the session", TimeSpan.FromSeconds(10));
        // The running broker holds its file's lock: the "restarted" one loads a copy of what it saved.
        string copy = Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, "copy")).FullName, "state");
        File.Copy(StateFile, copy);

        await using TestBroker restarted = await TestBroker.StartAsync(o => o.PersistenceFile = copy);

        await using RawClient back = await ResumeAsync(restarted, "device");
        await back.SubscribeAsync("device/status", QoS0, retainHandling: RetainHandling.SendOnSubscribe);
        Assert.Equal("online", (await back.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task The_state_file_is_readable_by_its_owner_only()
    {
        TestBroker broker = await StartAsync();
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("secret/payload", "private", QoS1, retain: true);
        }
        await broker.DisposeAsync();

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(StateFile));
        }
        Assert.Empty(Directory.GetFiles(_folder, "state.tmp-*"));
    }

    [Fact]
    public async Task Saved_messages_the_ACL_no_longer_lets_the_session_read_are_dropped_at_load()
    {
        TestBroker broker = await StartAsync();
        await SubscribeAndLeaveAsync(broker, "reader", "news/#", QoS1);
        await using (RawClient publisher = await broker.ConnectAsync("publisher"))
        {
            await publisher.PublishAsync("news/public", "0", QoS1);
            await publisher.PublishAsync("news/secret", "1", QoS1);
            await publisher.PublishAsync("news/public", "2", QoS1);
        }

        // Restarted with an ACL that no longer lets anyone read news/secret.
        await using TestBroker restarted = await RestartAsync(broker, o => o.Authorizer = new UnreadableTopic("news/secret"));

        await using RawClient back = await ResumeAsync(restarted, "reader");
        foreach (string payload in new[] { "0", "2" })
        {
            ReceivedPacket queued = await back.ExpectPublishPacketAsync();
            Assert.Equal(("news/public", payload), (queued.Topic, queued.PayloadText));
            await back.SendAckAsync(PacketType.PubAck, queued.Publish.PacketId);
        }
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_lowered_session_expiry_cap_applies_to_restored_sessions()
    {
        TestBroker broker = await StartAsync();
        await SubscribeAndLeaveAsync(broker, "long-lived", "t", QoS1);

        await using TestBroker restarted = await RestartAsync(broker, o => o.MaximumSessionExpiry = 1);

        // Saved with 300 s, restored with at most 1 s: gone after it (the wait itself, not a proof).
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await using RawClient back = await restarted.OpenAsync();
        Assert.False((await back.ConnectAsync("long-lived", cleanStart: false, properties: Persistent())).SessionPresent);
    }

    [Fact]
    public async Task Temporary_files_left_by_a_crash_in_the_middle_of_a_save_are_removed_at_load()
    {
        TestBroker broker = await StartAsync();
        await broker.DisposeAsync();
        string stale = StateFile + ".tmp-4242-0123456789abcdef";
        await File.WriteAllTextAsync(stale, "half a state");
        string unrelated = Path.Combine(_folder, "state-notes.tmp");
        await File.WriteAllTextAsync(unrelated, "not ours");

        await using TestBroker restarted = await StartAsync();

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public async Task A_second_broker_on_the_same_state_file_does_not_start()
    {
        await using TestBroker running = await StartAsync();

        IOException refused = await Assert.ThrowsAsync<IOException>(() => StartAsync());

        Assert.Contains("another broker is using it", refused.Message);
    }

    [Fact]
    public async Task A_Will_waiting_for_its_delay_at_shutdown_is_published_then_and_kept()
    {
        TestBroker broker = await StartAsync();
        var will = new WillMessage { Topic = Wire.Text("device/status"), Payload = Wire.Text("offline"), Retain = true, QoS = QoS1,
            Properties = new MqttProperties { WillDelayInterval = 3600 } };
        RawClient device = await broker.ConnectAsync("device", properties: Persistent(), will: will);
        device.Drop();
        await broker.WaitForOpenConnectionsAsync(0);
        Assert.Equal(0, broker.Broker.Retained.Count); // waiting for its hour

        await using TestBroker restarted = await RestartAsync(broker);

        await using RawClient watcher = await restarted.ConnectAsync("watcher");
        await watcher.SubscribeAsync("device/status", QoS1);
        Assert.Equal("offline", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task The_session_of_a_user_removed_and_made_anew_while_the_broker_was_down_is_dropped()
    {
        using var before = new CredentialStore(Path.Combine(_folder, "data"), watch: false);
        Assert.True(await before.TryAddAsync(Mqtt.Security.Credentials.UserCredentials.Derive("carol", "first")));
        TestBroker broker = await StartAsync(o => o.CredentialStore = before);
        await using (RawClient carol = await broker.OpenAsync())
        {
            await carol.ConnectAsync("carol-phone", properties: Persistent(), userName: "carol", password: "first"u8.ToArray());
            await carol.SubscribeAsync("carol/#", QoS1);
        }
        await broker.DisposeAsync();
        Assert.Equal(SessionState.CredentialTagLength, Assert.Single(StateFileReader.Read(StateFile, StateClock.Now).Sessions).CredentialTag.Length);
        Assert.True(await before.TryRemoveAsync("carol"));
        Assert.True(await before.TryAddAsync(Mqtt.Security.Credentials.UserCredentials.Derive("carol", "second")));
        using var after = new CredentialStore(Path.Combine(_folder, "data"), watch: false);

        await using TestBroker restarted = await StartAsync(o => o.CredentialStore = after);

        Assert.Equal((0, 0), (restarted.Broker.SessionCount, restarted.Broker.Subscriptions.Count));
    }

    [Fact]
    public async Task A_session_saved_while_the_credential_file_cannot_be_read_survives_once_the_file_is_fixed()
    {
        using var before = new CredentialStore(Path.Combine(_folder, "data"), watch: false);
        Assert.True(await before.TryAddAsync(Mqtt.Security.Credentials.UserCredentials.Derive("carol", "first")));
        string[] good = await File.ReadAllLinesAsync(before.FilePath);
        TestBroker broker = await StartAsync(o => o.CredentialStore = before);
        await using (RawClient carol = await broker.OpenAsync())
        {
            await carol.ConnectAsync("carol-phone", properties: Persistent(), userName: "carol", password: "first"u8.ToArray());
            await carol.SubscribeAsync("carol/#", QoS1);
        }
        // Damaged (a stray byte, an editor writing in place) while the broker runs, and saved at the stop like that.
        await File.AppendAllBytesAsync(before.FilePath, [0xFF, (byte)'\n']);
        before.Refresh();
        Assert.NotNull(before.Problem);
        await broker.DisposeAsync();
        await File.WriteAllLinesAsync(before.FilePath, good);
        using var after = new CredentialStore(Path.Combine(_folder, "data"), watch: false);

        await using TestBroker restarted = await StartAsync(o => o.CredentialStore = after);

        Assert.Equal((1, 1), (restarted.Broker.SessionCount, restarted.Broker.Subscriptions.Count));
    }

    [Fact]
    public async Task A_credential_file_that_cannot_be_read_stops_the_start_before_saved_sessions_are_judged_by_it()
    {
        using var credentials = new CredentialStore(Path.Combine(_folder, "data"), watch: false);
        Assert.True(await credentials.TryAddAsync(Mqtt.Security.Credentials.UserCredentials.Derive("carol", "first")));
        await File.AppendAllBytesAsync(credentials.FilePath, [0xFF, (byte)'\n']);

        InvalidDataException refused = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync(o => o.CredentialStore = credentials));

        Assert.Contains("not UTF-8", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MQTT5_3_1_2_11_a_client_connected_at_a_crash_keeps_its_session_however_long_ago_the_last_save_was()
    {
        await using TestBroker running = await StartAsync();
        await using RawClient client = await running.ConnectAsync("device", properties: new MqttProperties { SessionExpiryInterval = 1 });
        await client.SubscribeAsync("device/commands", QoS1);
        running.Broker.SaveState(); // the last autosave before the crash
        await Task.Delay(1200);      // longer than the expiry, the client still connected
        string crashed = Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, "crashed")).FullName, "state");
        File.Copy(StateFile, crashed); // what a kill -9 now leaves

        await using TestBroker restarted = await TestBroker.StartAsync(o => o.PersistenceFile = crashed);

        // Its connection closed with the crash, some time after the save: the expiry counts from the restart.
        Assert.Equal((1, 1), (restarted.Broker.SessionCount, restarted.Broker.Subscriptions.Count));
    }

    [Fact]
    public async Task A_folder_where_the_state_file_belongs_stops_the_start()
    {
        Directory.CreateDirectory(StateFile);

        StateFileException refused = await Assert.ThrowsAsync<StateFileException>(() => StartAsync());

        Assert.Contains("a folder, not a file", refused.Message);
    }

    /// <summary>
    /// A link to a missing file is not "no state yet": started clean, the broker would save over the link (a state
    /// kept on a disk not mounted yet). Before, the start failed with .NET's bare "Could not find file" (a probe).
    /// </summary>
    [Fact]
    public async Task A_state_file_link_to_nothing_stops_the_start_saying_so()
    {
        File.CreateSymbolicLink(StateFile, Path.Combine(_folder, "elsewhere", "state"));

        StateFileException refused = await Assert.ThrowsAsync<StateFileException>(() => StartAsync());

        Assert.Contains("which does not exist", refused.Message);
    }

    /// <summary>A lock file that cannot be opened (here a link to itself; a read-only file system) is not another broker (a probe).</summary>
    [Fact]
    public async Task A_lock_file_that_cannot_be_opened_is_reported_as_it_is()
    {
        File.CreateSymbolicLink(StateFile + ".lock", StateFile + ".lock");

        IOException refused = await Assert.ThrowsAsync<IOException>(() => StartAsync());

        Assert.DoesNotContain("another broker", refused.Message);
        Assert.Contains("cannot be opened", refused.Message);
    }

    /// <summary>Lets every client do everything but read one topic.</summary>
    private sealed class UnreadableTopic(string topic) : IAuthorizer
    {
        public ValueTask<bool> CanPublishAsync(ClientInfo client, string name) => new(true);

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string name) => name != topic;
    }

    /// <summary>A persistent session subscribed to <paramref name="filter"/>, its client gone.</summary>
    private static async Task SubscribeAndLeaveAsync(TestBroker broker, string clientId, string filter, QualityOfService qos)
    {
        await using RawClient client = await broker.ConnectAsync(clientId, properties: Persistent());
        await client.SubscribeAsync(filter, qos);
    }

    /// <summary>
    /// A persistent subscriber receives one message of <paramref name="qos"/> with <paramref name="payload"/>, does
    /// <paramref name="then"/> with it, and drops its connection: the message stays in flight in its session.
    /// </summary>
    private static async Task<PublishPacket> ReceiveAndDropAsync(TestBroker broker, string payload, QualityOfService qos, Func<RawClient, PublishPacket, Task> then)
    {
        await using RawClient subscriber = await broker.ConnectAsync("subscriber", properties: Persistent());
        await subscriber.SubscribeAsync("inflight", qos);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        await publisher.PublishAsync("inflight", payload, qos);
        PublishPacket publish = await subscriber.ExpectPublishAsync();
        await then(subscriber, publish);
        subscriber.Drop();
        return publish;
    }

    /// <summary>Connects with Clean Start 0 and expects Session Present 1.</summary>
    private static async Task<RawClient> ResumeAsync(TestBroker broker, string clientId)
    {
        RawClient client = await broker.OpenAsync();
        Assert.True((await client.ConnectAsync(clientId, cleanStart: false, properties: Persistent())).SessionPresent);
        return client;
    }

    private static List<int> Identifiers(PublishPacket publish)
    {
        var identifiers = new List<int>();
        foreach (int identifier in publish.Properties.SubscriptionIdentifiers)
        {
            identifiers.Add(identifier);
        }
        return identifiers;
    }

    /// <summary>PUBACK for QoS 1; PUBREC, PUBREL, PUBCOMP for QoS 2.</summary>
    private static async Task Acknowledge(RawClient client, PublishPacket publish)
    {
        if (publish.QoS == QoS1)
        {
            await client.SendAckAsync(PacketType.PubAck, publish.PacketId);
            return;
        }
        await client.SendAckAsync(PacketType.PubRec, publish.PacketId);
        await client.ReadUntilAsync(PacketType.PubRel);
        await client.SendAckAsync(PacketType.PubComp, publish.PacketId);
    }
}
