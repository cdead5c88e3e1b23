using System.Diagnostics;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// Client bugs found by review (2026-11-26), one test each against a scripted server (127.0.0.1, port 0, every wait
/// bounded): reconnection and DisconnectAsync races, servers that stop reading, throwing event handlers, state kept
/// for the server's sake (QoS 2 receipts, Receive Maximum), re-authentication refusals.
/// </summary>
public sealed class ClientRobustnessTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    private static MqttClientOptions ReconnectingOptions(int port, TimeSpan minimumDelay, TimeSpan? maximumDelay = null)
    {
        MqttClientOptions options = Options(port);
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = minimumDelay;
        options.ReconnectMaximumDelay = maximumDelay ?? minimumDelay;
        options.SessionExpiryInterval = 600;
        options.CleanStart = true;
        return options;
    }

    /// <summary>
    /// Publishes 1 MiB QoS 0 messages to a server that reads nothing until one cannot complete (the socket buffers are
    /// full) or the client gave the connection up meanwhile; at most 400. The blocked publication fails later, when the
    /// connection ends: it is observed here.
    /// </summary>
    private static async Task<bool> FillUntilBlockedAsync(MqttClient client)
    {
        byte[] payload = new byte[1 << 20];
        for (int i = 0; i < 400; i++)
        {
            Task sending = client.PublishAsync("fill", payload).AsTask();
            // Blocked, or failed: the server never closes, so only the client giving up on the stuck connection
            // (keep alive) can end a publication with an error here.
            if (await Task.WhenAny(sending, Task.Delay(1000)) != sending || sending.IsFaulted)
            {
                ObserveLater(sending);
                return true;
            }
        }
        return false;
    }

    /// <summary>Connects, loses the connection, and calls DisconnectAsync while the reconnection loop is in its 5 s delay.</summary>
    private static async Task DisconnectWhileReconnectingAsync(FakeServer server, MqttClient client)
    {
        var lost = new TaskCompletionSource<MqttDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => lost.TrySetResult(e);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            first.Close();
        }
        Assert.True((await lost.Task.WaitAsync(Patience)).WillReconnect);
        await client.DisconnectAsync().WaitAsync(Patience);
    }

    /// <summary>A publication the test leaves unfinished fails when the client is disposed: observe that failure.</summary>
    private static void ObserveLater(Task task) => _ = task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);

    private static async Task<OwnedPacket?> ReadOrTimeoutAsync(FakeConnection connection, TimeSpan wait, Func<OwnedPacket?, bool>? stillOpen = null)
    {
        try
        {
            return await connection.ReadAsync(wait);
        }
        catch (OperationCanceledException)
        {
            return new OwnedPacket(PacketType.PingReq, 0, 2, []); // "nothing within the wait": the connection is still open
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. DisconnectAsync while the reconnection loop waits leaves _reconnectCancellation set forever.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ConnectAsync_works_again_after_DisconnectAsync_during_reconnection()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port, TimeSpan.FromSeconds(5)));
        await DisconnectWhileReconnectingAsync(server, client);

        Task<MqttConnectResult> again = client.ConnectAsync();
        Task<FakeConnection> accepting = server.AcceptAsync(Short);
        await Task.WhenAny(again, accepting).WaitAsync(Patience);
        Assert.False(again.IsFaulted, "ConnectAsync after DisconnectAsync failed: " + again.Exception?.InnerException);
        await using FakeConnection second = await accepting;
        await second.AcceptConnectAsync();
        await again.WaitAsync(Patience);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task QoS1_PublishAsync_after_DisconnectAsync_during_reconnection_fails_instead_of_hanging()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port, TimeSpan.FromSeconds(5)));
        await DisconnectWhileReconnectingAsync(server, client);

        Task<MqttPublishResult> publishing = client.PublishAsync("t", Bytes("x"), QualityOfService.AtLeastOnce).AsTask();
        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => publishing.WaitAsync(Short));
        Assert.IsType<MqttConnectionLostException>(e); // a TimeoutException here means the publication waits forever
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. A pending PUBLISH over the Maximum Packet Size of the resumed connection makes every reconnection fail.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task pending_PUBLISH_too_large_for_the_resumed_connection_does_not_break_the_reconnection()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port, TimeSpan.FromMilliseconds(100)));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        Task<MqttPublishResult> publishing;
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            publishing = client.PublishAsync("big", new byte[1000], QualityOfService.AtLeastOnce).AsTask();
            await first.ExpectAsync(PacketType.Publish);
            first.Close(); // no PUBACK
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(new MqttProperties { MaximumPacketSize = 200 }, sessionPresent: true);

        // The too-large PUBLISH must be dropped [MQTT-3.2.2-15]; the connection itself is fine and must stay up.
        OwnedPacket? next = await ReadOrTimeoutAsync(second, TimeSpan.FromSeconds(2));
        Assert.True(next is not null, "the client closed the resumed connection because a pending PUBLISH no longer fits");
        await Assert.ThrowsAnyAsync<Exception>(() => publishing.WaitAsync(Short)); // and the publication ends, one way or the other
        Assert.True(client.IsConnected);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. A server that stops reading blocks the write path; keep alive never fires and DisconnectAsync never returns.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task server_that_stops_reading_is_declared_dead_by_keep_alive()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o =>
        {
            o.KeepAlive = TimeSpan.FromSeconds(1);
            o.PingTimeout = TimeSpan.FromMilliseconds(500);
        });
        MqttClient client = scripted.Client;

        // The server reads nothing more: fill the socket buffers until a QoS 0 publication cannot complete.
        Assert.True(await FillUntilBlockedAsync(client), "could not fill the socket buffers");

        // No PINGRESP can come back (no PINGREQ even gets out): after 1 s keep alive + 0.5 s ping timeout the
        // connection should be declared dead.
        Task finished = await Task.WhenAny(scripted.Disconnected, Task.Delay(TimeSpan.FromSeconds(6)));
        Assert.True(finished == scripted.Disconnected, "the client kept the dead connection open for 6 s with a 1 s keep alive");
    }

    /// <summary>
    /// [MQTT-3.1.2-22] While the application does not take its messages (the queue full, the socket no longer read)
    /// the client still sends PINGREQ every three quarters of its keep alive, so the server does not take it for dead.
    /// Before, one PINGREQ went out and then nothing, since no PINGRESP could be read to allow the next.
    /// </summary>
    [Fact]
    public async Task Keep_alive_goes_on_while_the_application_holds_up_the_messages()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o =>
        {
            o.KeepAlive = TimeSpan.FromSeconds(1);
            o.MessageQueueCapacity = 1;
        });
        FakeConnection connection = scripted.Connection;
        for (int i = 0; i < 3; i++)
        {
            // Nobody reads them: the first fills the queue, the next holds the read loop.
            await connection.SendAsync(w => new PublishPacket { Topic = MqttUtf8.Encode("held"), Payload = new("x"u8.ToArray()) }.Write(w, ProtocolVersion.V500));
        }

        int pings = 0;
        var watching = Stopwatch.StartNew();
        while (watching.Elapsed < TimeSpan.FromSeconds(3.5))
        {
            OwnedPacket? packet = await connection.ReadAsync(Patience);
            Assert.NotNull(packet);
            Assert.Equal(PacketType.PingReq, packet.Type);
            pings++;
        }
        Assert.InRange(pings, 3, 10); // one per 0.75 s
        Assert.True(scripted.Client.IsConnected);
    }

    /// <summary>
    /// A property too long for its 2-byte length is refused before anything is written (sizing the packet finds it), so
    /// nothing of it reaches the stream. A review suspected the writer could find it half-way, after committing part.
    /// </summary>
    [Fact]
    public async Task A_user_property_over_65535_bytes_is_refused_and_the_connection_stays_sound()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        var tooLong = new MqttApplicationMessage
        {
            Topic = "t",
            ContentType = new string('c', 30_000), // fits, and is written before the User Property
            UserProperties = [new MqttUserProperty("big", new string('v', 70_000))],
        };

        await Assert.ThrowsAsync<ArgumentException>(async () => await scripted.Client.PublishAsync(tooLong));

        await scripted.Client.PublishAsync("after", new byte[] { 1 }, QualityOfService.AtMostOnce);
        OwnedPacket packet = await scripted.Connection.ExpectAsync(PacketType.Publish);
        Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
        Assert.Equal("after", publish.TopicString);
    }

    /// <summary>
    /// A Response Topic is the Topic Name the responder publishes to: one that is empty or holds a wildcard is refused
    /// before anything is written, as a server closes the connection over it [MQTT-3.3.2-14] [MQTT-4.7.3-1].
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("replies/#")]
    [InlineData("replies/+/x")]
    public async Task An_invalid_response_topic_is_refused_and_the_connection_stays_sound(string responseTopic)
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();

        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await scripted.Client.PublishAsync(new MqttApplicationMessage { Topic = "t", ResponseTopic = responseTopic }));

        await scripted.Client.PublishAsync(new MqttApplicationMessage { Topic = "after", ResponseTopic = "replies/1" });
        OwnedPacket packet = await scripted.Connection.ExpectAsync(PacketType.Publish);
        Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
        Assert.Equal("after", publish.TopicString);
    }

    [Fact]
    public async Task DisconnectAsync_returns_when_the_server_stops_reading()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        Assert.True(await FillUntilBlockedAsync(client), "could not fill the socket buffers");

        Task disconnecting = client.DisconnectAsync();
        Task finished = await Task.WhenAny(disconnecting, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(finished == disconnecting, "DisconnectAsync() did not return within 5 s");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. The MessageReceived dispatcher faults with the connection's error; DisposeAsync rethrows it.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task DisposeAsync_does_not_throw_after_a_protocol_error_with_a_MessageReceived_handler()
    {
        await using var server = new FakeServer();
        var client = new MqttClient(Options(server.Port));
        client.MessageReceived = (_, _) => Task.CompletedTask;
        var lost = new TaskCompletionSource<MqttDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => lost.TrySetResult(e);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);

        await connection.SendAsync(new byte[] { 0x00, 0x00 }); // malformed: the server broke the protocol
        await lost.Task.WaitAsync(Patience);

        Exception? thrown = await Record.ExceptionAsync(async () => await client.DisposeAsync().AsTask().WaitAsync(Patience));
        Assert.Null(thrown);
    }

    /// <summary>
    /// DisconnectAsync then ConnectAsync while the MessageReceived handler is still busy with a message of the first
    /// connection: the second connection's messages reach the handler once it is done. Before, the busy dispatcher
    /// stayed with the first connection's queue and nothing ever read the new one.
    /// </summary>
    [Fact]
    public async Task MessageReceived_gets_the_messages_of_a_connection_made_while_it_was_busy()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageReceived = async (message, _) =>
        {
            if (message.Topic == "first")
            {
                firstArrived.TrySetResult();
                await busy.Task;
            }
            else
            {
                secondArrived.TrySetResult();
            }
        };
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            await first.SendAsync(w => new PublishPacket { Topic = MqttUtf8.Encode("first"), Payload = new("1"u8.ToArray()) }.Write(w, ProtocolVersion.V500));
            await firstArrived.Task.WaitAsync(Patience);
            await client.DisconnectAsync().WaitAsync(Patience);
        }
        connecting = client.ConnectAsync();
        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);
        await second.SendAsync(w => new PublishPacket { Topic = MqttUtf8.Encode("second"), Payload = new("2"u8.ToArray()) }.Write(w, ProtocolVersion.V500));

        busy.TrySetResult();

        await secondArrived.Task.WaitAsync(Patience);
    }

    /// <summary>
    /// A handler that disposes of the client (a "quit" message, say): DisposeAsync waited for the dispatcher, which was
    /// waiting for that very handler, and neither ever returned.
    /// </summary>
    [Fact]
    public async Task DisposeAsync_called_from_the_MessageReceived_handler_returns()
    {
        await using var server = new FakeServer();
        var client = new MqttClient(Options(server.Port));
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageReceived = async (_, _) =>
        {
            await client.DisposeAsync();
            disposed.TrySetResult();
        };
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);

        await connection.SendAsync(w => new PublishPacket { Topic = MqttUtf8.Encode("quit"), Payload = new("1"u8.ToArray()) }.Write(w, ProtocolVersion.V500));

        await disposed.Task.WaitAsync(Patience);
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. Received QoS 2 messages (payload included) are kept until PUBREL, long after the application consumed them.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task received_QoS2_payloads_are_not_retained_until_PUBREL()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        const int count = 20;
        const int size = 1 << 20;
        for (ushort id = 1; id <= count; id++)
        {
            await connection.SendAsync(w => new PublishPacket
            {
                Topic = MqttUtf8.Encode("big"), Payload = new(new byte[size]), QoS = QualityOfService.ExactlyOnce, PacketId = id,
            }.Write(w, ProtocolVersion.V500));
        }
        List<WeakReference> consumed = await ConsumeWeakAsync(client, count);
        for (int i = 0; i < count; i++)
        {
            await connection.ExpectAsync(PacketType.PubRec); // delivered and acknowledged; the server holds back PUBREL
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // The enumerator may still hold its last Current, and a just-finished acknowledgement's state one more (seen once
        // under CI load); a client keeping receipts as messages holds all 20.
        int alive = consumed.Count(w => w.IsAlive);
        Assert.True(alive <= 2, $"{alive} consumed QoS 2 messages ({alive} MB of payload) are still held by the client waiting for PUBREL");
    }

    /// <summary>Reads <paramref name="count"/> messages keeping only weak references (a list of them would keep them alive).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<List<WeakReference>> ConsumeWeakAsync(MqttClient client, int count)
    {
        var refs = new List<WeakReference>();
        await using IAsyncEnumerator<MqttApplicationMessage> e = client.ReadMessagesAsync().GetAsyncEnumerator();
        while (refs.Count < count && await e.MoveNextAsync())
        {
            refs.Add(new WeakReference(e.Current));
        }
        return refs;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 6. MQTT 3.1.1: the client enforces a Receive Maximum the server was never told about.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task MQTT311_client_does_not_enforce_a_Receive_Maximum_it_cannot_announce()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o =>
        {
            o.ProtocolVersion = ProtocolVersion.V311;
            o.ReceiveMaximum = 2;
            o.AutomaticAcknowledgement = false;
        });
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        for (ushort id = 1; id <= 3; id++)
        {
            await connection.SendAsync(w => new PublishPacket
            {
                Topic = MqttUtf8.Encode("t"), Payload = new(Bytes("x")), QoS = QualityOfService.AtLeastOnce, PacketId = id,
            }.Write(w, ProtocolVersion.V311));
        }

        // A 3.1.1 server has no idea of any Receive Maximum; three unacknowledged QoS 1 messages are legal.
        Exception? e = await Record.ExceptionAsync(() => client.ReceiveAsync(3, Short));
        Assert.Null(e);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task MQTT311_client_takes_a_share_prefix_without_the_shared_form_as_an_ordinary_filter()
    {
        // 3.1.1 has no Shared Subscriptions: "$share/g" is a filter like any other there (Mosquitto and our broker agree).
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o => o.ProtocolVersion = ProtocolVersion.V311);
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        Task<MqttSubscribeResult> subscribing = client.SubscribeAsync("$share/g", QualityOfService.AtLeastOnce);
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Subscribe);
        Assert.True(SubscribePacket.TryRead(sent.Frame, ProtocolVersion.V311, out SubscribePacket subscribe, out _));
        foreach (Subscription requested in subscribe.Subscriptions)
        {
            Assert.Equal("$share/g", requested.TopicFilterString);
        }
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)1 }) }.Write(w, ProtocolVersion.V311));
        await subscribing.WaitAsync(Short);
    }

    [Fact]
    public async Task MQTT5_client_refuses_a_share_prefix_without_the_shared_form()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => scripted.Client.SubscribeAsync("$share/g", QualityOfService.AtLeastOnce));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 7. A connection lost while ActivateAsync is still re-sending starts a second reconnection loop.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task connection_lost_during_resumption_does_not_leave_a_reconnection_loop_running_after_DisconnectAsync()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100)));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            for (int i = 0; i < 200; i++)
            {
                ObserveLater(client.PublishAsync("t", new byte[100_000], QualityOfService.AtLeastOnce).AsTask());
            }
            for (int i = 0; i < 200; i++)
            {
                await first.ExpectAsync(PacketType.Publish);
            }
            first.Close();
        }

        // The resumed connection dies while the client is still re-sending its 20 MB of PUBLISHes (it reads none of them).
        await using (FakeConnection second = await server.AcceptAsync())
        {
            await second.AcceptConnectAsync(sessionPresent: true);
            await Task.Delay(500);
            second.ShutdownSend(); // the client's read loop sees the end first, while ActivateAsync is blocked re-sending
            await Task.Delay(200);
            second.Close();
        }

        // From now on every connection is accepted and kept, as a healthy server would.
        using var stop = new CancellationTokenSource();
        var accepted = new ConcurrentQueue<(DateTime At, FakeConnection Connection, Task Ended)>();
        Task acceptor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                FakeConnection c;
                try
                {
                    c = await server.AcceptAsync(TimeSpan.FromMilliseconds(200));
                }
                catch (OperationCanceledException)
                {
                    continue;
                }
                Task ended = Task.Run(async () =>
                {
                    try
                    {
                        await c.AcceptConnectAsync(sessionPresent: true);
                        await c.DrainAsync();
                    }
                    catch (Exception)
                    {
                    }
                });
                accepted.Enqueue((DateTime.UtcNow, c, ended));
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await client.DisconnectAsync().WaitAsync(Patience);
        DateTime disconnectedAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2));
        stop.Cancel();
        await acceptor.WaitAsync(Patience);

        int after = accepted.Count(a => a.At > disconnectedAt);
        int stillOpen = accepted.Count(a => !a.Ended.IsCompleted);
        int total = accepted.Count;
        foreach ((_, FakeConnection c, _) in accepted)
        {
            c.Close();
        }
        Assert.True(after == 0 && stillOpen == 0 && total <= 1,
            $"{total} connections after the failed resumption ({after} opened after DisconnectAsync returned, {stillOpen} left open by the client)");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 8. A throwing Disconnected handler makes DisconnectAsync skip EndSession: pending publications hang.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task throwing_Disconnected_handler_does_not_leave_publications_waiting_forever()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        client.Disconnected += (_, _) => throw new InvalidOperationException("application bug in the event handler");
        Task<MqttPublishResult> publishing = client.PublishAsync("t", Bytes("x"), QualityOfService.AtLeastOnce).AsTask();
        await connection.ExpectAsync(PacketType.Publish);

        await Record.ExceptionAsync(() => client.DisconnectAsync().WaitAsync(Patience));

        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => publishing.WaitAsync(Short));
        Assert.IsType<MqttConnectionLostException>(e); // TimeoutException: the publication waits forever
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 9. A re-authentication step refused by the client's handler closes the socket without DISCONNECT [MQTT-4.12.1-2].
    // ---------------------------------------------------------------------------------------------------------------

    private sealed class RefusingSecondStepHandler : IEnhancedAuthenticationHandler
    {
        public string Method => "TEST-METHOD";

        public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(Bytes("first"));

        public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) =>
            throw new MqttAuthenticationException("the server's challenge was refused", ReasonCode.NotAuthorized);

        public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }

    [Fact]
    public async Task failed_reauthentication_step_sends_DISCONNECT()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(
            new MqttProperties { AuthenticationMethod = MqttUtf8.Encode("TEST-METHOD") }, o => o.AuthenticationHandler = new RefusingSecondStepHandler());
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        Task reauthenticating = client.ReauthenticateAsync();
        await connection.ExpectAsync(PacketType.Auth);
        await connection.SendAsync(w => new AuthPacket
        {
            ReasonCode = ReasonCode.ContinueAuthentication,
            Properties = new MqttProperties { AuthenticationMethod = MqttUtf8.Encode("TEST-METHOD"), AuthenticationData = new(Bytes("challenge")) },
        }.Write(w));

        await Assert.ThrowsAnyAsync<MqttException>(() => reauthenticating.WaitAsync(Patience));
        OwnedPacket? last = await connection.ReadAsync(Patience);
        Assert.True(last is { Type: PacketType.Disconnect }, "the client closed the socket without DISCONNECT after refusing the re-authentication");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 11. ConnectAsync with Clean Start after DisconnectAsync brought back the subscriptions of the session it ended.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ConnectAsync_with_clean_start_after_DisconnectAsync_does_not_subscribe_to_the_old_filters()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            Task<MqttSubscribeResult> subscribing = client.SubscribeAsync("old/filter", QualityOfService.AtLeastOnce);
            OwnedPacket subscribe = await first.ExpectAsync(PacketType.Subscribe);
            Assert.True(SubscribePacket.TryRead(subscribe.Frame, ProtocolVersion.V500, out SubscribePacket packet, out _));
            await first.SendAsync(w => new SubAckPacket { PacketId = packet.PacketId, ReasonCodes = new(new[] { (byte)ReasonCode.GrantedQoS1 }) }.Write(w, ProtocolVersion.V500));
            await subscribing.WaitAsync(Patience);
            await client.DisconnectAsync().WaitAsync(Patience);
        }

        connecting = client.ConnectAsync();
        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);
        await client.PublishAsync("probe", Bytes("p"));

        await second.ExpectAsync(PacketType.Publish); // a SUBSCRIBE for old/filter would come first
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 10. DisconnectAsync during ConnectAsync: ConnectAsync reports a timeout that never happened.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ConnectAsync_interrupted_by_DisconnectAsync_is_not_reported_as_a_timeout()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await client.DisconnectAsync().WaitAsync(Patience);
        await connection.SendAsync(w => new ConnAckPacket { ReasonCode = ReasonCode.Success }.Write(w, ProtocolVersion.V500));

        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => connecting.WaitAsync(Patience));
        Assert.IsNotType<MqttTimeoutException>(e); // the 10 s ConnectTimeout has not elapsed
    }
}
