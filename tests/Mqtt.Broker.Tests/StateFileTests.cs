using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>
/// The state file's reader against files that are not what the broker wrote: truncated at every length, bits flipped,
/// bytes replaced, lengths that lie. It yields a valid state or a StateFileException, never another exception, and
/// never allocates on the word of a length it has not checked.
/// </summary>
public sealed class StateFileTests
{
    private const string Path = "/data/state";
    // A minute ahead, so every message the tests make was received before it (a save never sees the future).
    private static readonly StateClock Clock = new(Environment.TickCount64 + 60_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000);

    [Fact]
    public void A_state_file_reads_back_and_writes_again_to_the_same_bytes()
    {
        byte[] bytes = StateFileWriter.Encode(SampleState(), Clock);

        BrokerState read = StateFileReader.Decode(Path, bytes, Clock);

        Assert.Equal((2, 2), (read.Retained.Count, read.Sessions.Count));
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(StateFileWriter.Encode(read, Clock)));
    }

    [Fact]
    public void A_file_larger_than_the_reader_takes_is_refused_before_it_is_read()
    {
        string folder = Directory.CreateTempSubdirectory("mqttcore-state-").FullName;
        try
        {
            string path = System.IO.Path.Combine(folder, "state");
            using (var sparse = new FileStream(path, FileMode.CreateNew))
            {
                sparse.Write(StateFileWriter.Magic);
                sparse.SetLength(StateFileWriter.MaximumSize + 1); // sparse: no disk space, no memory
            }
            StateFileException refused = Assert.Throws<StateFileException>(() => StateFileReader.Read(path, Clock));
            Assert.Contains("more than", refused.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_link_to_an_endless_device_or_an_empty_file_is_refused_without_reading_on()
    {
        string folder = Directory.CreateTempSubdirectory("mqttcore-state-").FullName;
        try
        {
            string link = System.IO.Path.Combine(folder, "state");
            File.CreateSymbolicLink(link, "/dev/zero");
            Assert.Throws<StateFileException>(() => StateFileReader.Read(link, Clock));

            string empty = System.IO.Path.Combine(folder, "empty");
            File.WriteAllBytes(empty, []);
            Assert.Contains("empty, not a mqttcore state file", Assert.Throws<StateFileException>(() => StateFileReader.Read(empty, Clock)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_StateFileException()
    {
        byte[] bytes = StateFileWriter.Encode(SampleState(), Clock);
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.NotNull(ReadWithinBounds(bytes[..length]));
        }
    }

    [Fact]
    public void Flipped_bits_and_replaced_bytes_give_a_valid_state_or_a_StateFileException_within_the_file_size()
    {
        byte[] valid = StateFileWriter.Encode(SampleState(), Clock);
        Gen<(int Position, int Bit, byte Value, bool Flip)> mutation = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Int[0, 7], Gen.Byte, Gen.Bool);
        mutation.Array[1, 8].Sample(mutations =>
        {
            byte[] bytes = (byte[])valid.Clone();
            foreach ((int position, int bit, byte value, bool flip) in mutations)
            {
                bytes[position] = flip ? (byte)(bytes[position] ^ (1 << bit)) : value;
            }
            ReadWithinBounds(bytes);
        }, iter: 5_000);
    }

    [Fact]
    public void Random_records_after_a_valid_header_give_a_valid_state_or_a_StateFileException()
    {
        Gen.Byte.Array[0, 300].Sample(tail =>
        {
            ReadWithinBounds([.. "MQTTCORE"u8, 0, 1, .. tail]);
        }, iter: 5_000);
    }

    [Theory]
    [InlineData("a record longer than the file", new byte[] { 1, 0xFF, 0xFF, 0xFF, 0xF0, 0 })]
    [InlineData("a message index never stored", new byte[] { 2, 0, 0, 0, 4, 0x7F, 0xFF, 0xFF, 0xFF })]
    [InlineData("a delivery before any session", new byte[] { 5, 0, 0, 0, 0 })]
    [InlineData("an unknown record type", new byte[] { 9, 0, 0, 0, 0 })]
    [InlineData("no end record", new byte[0])]
    public void A_hostile_record_is_refused_with_a_StateFileException(string what, byte[] records)
    {
        byte[] bytes = [.. "MQTTCORE"u8, 0, 1, .. records];

        Assert.True(ReadWithinBounds(bytes) is not null, what);
    }

    [Fact]
    public void Subscription_Identifier_counts_beyond_the_record_are_refused_before_allocating()
    {
        byte[] bytes = StateFileWriter.Encode(SampleState(), Clock);
        // The first delivery record's identifier count (2 bytes before its identifiers) set to 65,535.
        int delivery = FirstRecord(bytes, StateRecord.Delivery);
        int countAt = delivery + 5 + 4 + 1 + 1 + 2 + 8;
        bytes[countAt] = 0xFF;
        bytes[countAt + 1] = 0xFF;

        Assert.Contains("65535 Subscription Identifiers", ReadWithinBounds(bytes)?.Message);
    }

    [Fact]
    public void A_file_of_another_format_version_is_refused_naming_the_version()
    {
        byte[] bytes = StateFileWriter.Encode(SampleState(), Clock);
        bytes[9] = 2;

        var error = Assert.Throws<StateFileException>(() => StateFileReader.Decode(Path, bytes, Clock));
        Assert.Contains("format version 2", error.Message);
    }

    /// <summary>
    /// Reads, allowing a valid state (null) or a StateFileException (returned): any other exception fails the test, as
    /// does an allocation beyond a bound set by the file's size, whatever its lengths say.
    /// </summary>
    private static StateFileException? ReadWithinBounds(byte[] bytes)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            StateFileReader.Decode(Path, bytes, Clock);
            return null;
        }
        catch (StateFileException e)
        {
            Assert.StartsWith($"state file {Path}: ", e.Message);
            return e;
        }
        finally
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Objects, strings and copies of what the file holds, plus an exception with its message: never a length's word.
            Assert.True(allocated < 64L * bytes.Length + 256 * 1024, $"{allocated} bytes allocated to read {bytes.Length}");
        }
    }

    /// <summary>Where the first record of <paramref name="type"/> starts, walking the records' length prefixes.</summary>
    private static int FirstRecord(byte[] bytes, StateRecord type)
    {
        int offset = 10;
        while (bytes[offset] != (byte)type)
        {
            offset += 5 + (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 1));
        }
        return offset;
    }

    /// <summary>A state with everything the file can hold: retained messages, sessions of both kinds, every flow state.</summary>
    private static BrokerState SampleState()
    {
        ApplicationMessage retained = Message("status/a", "on", QualityOfService.AtLeastOnce, retain: true, new MqttProperties
        {
            MessageExpiryInterval = 600,
            ContentType = Wire.Text("text/plain"),
            UserProperties = UserProperties.Create(("k", "v")),
        });
        ApplicationMessage shared = Message("a/b", "to several", QualityOfService.ExactlyOnce);
        var state = new BrokerState();
        state.Retained.Add(retained);
        state.Retained.Add(Message("status/b", "off", QualityOfService.AtMostOnce, retain: true));
        var alice = new SessionState { ClientId = "alice-phone", UserName = "alice", ExpiryInterval = 300, DisconnectedAt = Clock.Ticks - 5_000, LastPacketId = 6 };
        alice.Subscriptions.Add(new SavedSubscription("a/+", new Subscription(default, QualityOfService.ExactlyOnce, NoLocal: true, RetainAsPublished: true, RetainHandling.DoNotSend), 7));
        alice.Subscriptions.Add(new SavedSubscription("$share/g/a/#", new Subscription(default, QualityOfService.AtLeastOnce), 9));
        alice.Subscriptions.Add(new SavedSubscription("plain", new Subscription(default, QualityOfService.AtMostOnce), 0));
        alice.Inflight.Add(new Delivery(shared, QualityOfService.AtLeastOnce, false, SubscriptionIdentifiers.Create(7)) { PacketId = 3, FlightOrder = 1, Sent = true });
        alice.Inflight.Add(new Delivery(shared, QualityOfService.ExactlyOnce, false, default) { PacketId = 4, FlightOrder = 2, Sent = true, Released = true });
        alice.Queued.Add(new Delivery(retained, QualityOfService.AtLeastOnce, true, SubscriptionIdentifiers.Create(7, 9)));
        alice.Queued.Add(new Delivery(shared, QualityOfService.ExactlyOnce, false, default));
        alice.IncomingQoS2.AddRange([5, 6]);
        state.Sessions.Add(alice);
        var legacy = new SessionState { ClientId = "legacy", ExpiryInterval = uint.MaxValue, DisconnectedAt = Clock.Ticks - 1_000, WasConnected = true };
        legacy.Subscriptions.Add(new SavedSubscription("$share/g", new Subscription(default, QualityOfService.AtLeastOnce), 0));
        state.Sessions.Add(legacy);
        return state;
    }

    private static ApplicationMessage Message(string topic, string payload, QualityOfService qos, bool retain = false, MqttProperties properties = default) =>
        ApplicationMessage.Copy(new PublishPacket { Topic = Wire.Text(topic), Payload = Wire.Text(payload), QoS = qos, Retain = retain, PacketId = 1, Properties = properties }, null);
}
