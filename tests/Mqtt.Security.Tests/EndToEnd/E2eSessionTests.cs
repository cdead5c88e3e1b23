using System.Text;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>Sessions between alice and bob: replay, reordering, loss, rotation, wrong recipients and keys.</summary>
public sealed class E2eSessionTests : IDisposable
{
    private readonly Parties parties = new();

    public void Dispose() => parties.Dispose();

    [Fact]
    public void Bob_opens_what_alice_sealed_to_him()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();

        foreach (string text in new[] { "hello bob", "", "second", new string('x', 5000) })
        {
            byte[] envelope = sender.Seal(Encoding.UTF8.GetBytes(text));
            Assert.Equal(text, Encoding.UTF8.GetString(receiver.Open("alice", Parties.AliceToBob, envelope)));
        }

        Assert.Equal(1, sender.SessionsStarted);
        Assert.Equal(1, receiver.SessionCount);
    }

    [Fact]
    public void The_envelope_does_not_contain_the_plaintext()
    {
        using E2eSender sender = parties.AliceToBobSender();
        byte[] envelope = sender.Seal("attack at dawn, attack at dawn"u8);

        Assert.Equal(-1, envelope.AsSpan().IndexOf("attack"u8));
    }

    [Fact]
    public void A_replay_or_redelivery_is_refused_as_Duplicate_and_the_session_keeps_working()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] first = sender.Seal("first"u8);
        Assert.Equal("first"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, first));

        byte[] plaintext = Enumerable.Repeat((byte)0xAA, 64).ToArray();
        Assert.Equal(E2eError.Duplicate, receiver.TryOpen("alice", Parties.AliceToBob, first, plaintext, out int written));
        Assert.Equal(0, written);
        Assert.All(plaintext, static b => Assert.Equal(0xAA, b)); // never surfaced a second time

        Assert.Equal("second"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, sender.Seal("second"u8)));
        Assert.Equal(E2eError.Duplicate, Assert.Throws<E2eException>(() => receiver.Open("alice", Parties.AliceToBob, first)).Error);
    }

    /// <summary>Before the fix the replay window answered first, so an altered copy passed for a harmless repeat.</summary>
    [Fact]
    public void An_altered_copy_of_an_accepted_message_is_Tampered_not_Duplicate()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] first = sender.Seal("pay 10 euros"u8);
        byte[] second = sender.Seal("and nothing else"u8);
        Assert.Equal("pay 10 euros"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, first));
        byte[] alteredFirst = (byte[])first.Clone();
        alteredFirst[^20] ^= 0x01; // in the ciphertext of a message whose sequence number was accepted
        byte[] plaintext = Enumerable.Repeat((byte)0xAA, 64).ToArray();

        Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", Parties.AliceToBob, alteredFirst, plaintext, out int written));

        Assert.Equal(0, written);
        Assert.All(plaintext, static b => Assert.Equal(0xAA, b));
        Assert.Equal(E2eError.Duplicate, receiver.TryOpen("alice", Parties.AliceToBob, first, plaintext, out _));
        Assert.Equal("and nothing else"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, second));
    }

    [Fact]
    public void Messages_reordered_within_the_window_open_once_each_and_older_ones_are_refused()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[][] envelopes = [.. Enumerable.Range(0, 100).Select(i => sender.Seal(BitConverter.GetBytes(i)))];

        Assert.Equal(E2eError.None, TryOpen(receiver, envelopes[80]));
        for (int i = 79; i >= 17; i--)
        {
            Assert.Equal(E2eError.None, TryOpen(receiver, envelopes[i]));
        }

        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(receiver, envelopes[16]));
        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(receiver, envelopes[0]));
        Assert.Equal(E2eError.Duplicate, TryOpen(receiver, envelopes[17]));
        Assert.Equal(E2eError.None, TryOpen(receiver, envelopes[99]));
    }

    [Fact]
    public void A_receiver_that_joins_late_or_lost_messages_opens_the_next_one_with_one_decapsulation()
    {
        using E2eSender sender = parties.AliceToBobSender();
        for (int i = 0; i < 10; i++)
        {
            sender.Seal("missed (QoS 0 loss, not yet subscribed)"u8);
        }

        using E2eReceiver late = parties.BobReceiver();
        Assert.Equal("eleventh"u8.ToArray(), late.Open("alice", Parties.AliceToBob, sender.Seal("eleventh"u8)));
        Assert.Equal(1, late.SessionCount);
        Assert.Equal("twelfth"u8.ToArray(), late.Open("alice", Parties.AliceToBob, sender.Seal("twelfth"u8)));
        Assert.Equal(1, late.SessionCount);
    }

    [Fact]
    public void With_a_session_start_interval_a_late_joiner_waits_for_the_next_session_start()
    {
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { SessionStartInterval = 4 });
        using E2eReceiver receiver = parties.BobReceiver();
        sender.Seal("0, lost"u8);

        Assert.Equal(E2eError.UnknownSession, TryOpen(receiver, sender.Seal("1"u8)));
        Assert.Equal(E2eError.UnknownSession, TryOpen(receiver, sender.Seal("2"u8)));
        Assert.Equal(E2eError.UnknownSession, TryOpen(receiver, sender.Seal("3"u8)));
        Assert.Equal(E2eError.None, TryOpen(receiver, sender.Seal("4 carries the start"u8)));
        Assert.Equal(E2eError.None, TryOpen(receiver, sender.Seal("5"u8)));
    }

    [Fact]
    public void Carol_cannot_open_a_message_for_bob()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver carol = parties.CarolReceiver();
        byte[] envelope = sender.Seal("for bob only"u8);
        byte[] plaintext = new byte[envelope.Length];

        Assert.Equal(E2eError.WrongRecipient, carol.TryOpen("alice", Parties.AliceToBob, envelope, plaintext, out _));
        Assert.All(plaintext, static b => Assert.Equal(0, b));
    }

    [Fact]
    public void Without_the_session_start_carol_does_not_even_know_the_session()
    {
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { SessionStartInterval = 2 });
        using E2eReceiver carol = parties.CarolReceiver();
        sender.Seal("start"u8);

        Assert.Equal(E2eError.UnknownSession, TryOpen(carol, sender.Seal("no start"u8)));
    }

    [Fact]
    public void A_message_moved_to_another_topic_or_passed_off_as_another_sender_fails()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] envelope = sender.Seal("hi"u8);

        Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", "alice/bob/other", envelope, new byte[64], out _));
        Assert.Equal(E2eError.UnknownKey, receiver.TryOpen("carol", "carol/bob/messages", envelope, new byte[64], out _));
        Assert.Equal(E2eError.None, TryOpen(receiver, envelope));
        Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", "alice/bob/other", sender.Seal("hi"u8), new byte[64], out _));
    }

    [Fact]
    public void Alternating_senders_and_topics_each_bind_their_own_topic_and_sender()
    {
        using E2eSender alice = parties.AliceToBobSender();
        using var carol = new E2eSender(parties.Carol, Parties.PeerIn(parties.CarolTrust, "bob"), "carol/bob/messages", null, parties.Clock);
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] plaintext = new byte[64];

        for (int i = 0; i < 3; i++)
        {
            // The receiver keeps the last message's topic and names: a wrong one in between must not be taken for it.
            Assert.Equal(E2eError.None, receiver.TryOpen("alice", Parties.AliceToBob, alice.Seal("a"u8), plaintext, out _));
            Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", "carol/bob/messages", alice.Seal("a"u8), plaintext, out _));
            Assert.Equal(E2eError.None, receiver.TryOpen("carol", "carol/bob/messages", carol.Seal("c"u8), plaintext, out _));
            Assert.Equal(E2eError.Tampered, receiver.TryOpen("carol", Encoding.UTF8.GetBytes(Parties.AliceToBob), carol.Seal("c"u8), plaintext, out _));
            Assert.Equal(E2eError.None, receiver.TryOpen("carol", Encoding.UTF8.GetBytes("carol/bob/messages"), carol.Seal("c"u8), plaintext, out _));
        }
    }

    [Fact]
    public void Carol_sealing_as_herself_cannot_pass_as_alice()
    {
        using var fromCarol = new E2eSender(parties.Carol, Parties.PeerIn(parties.CarolTrust, "bob"), Parties.AliceToBob, null, parties.Clock);
        using E2eReceiver receiver = parties.BobReceiver();

        // Bob looks alice's keys up; carol's agreement key is not among them.
        Assert.Equal(E2eError.UnknownKey, TryOpen(receiver, fromCarol.Seal("I am alice"u8)));
    }

    [Fact]
    public void A_sender_unknown_to_the_receiver_is_UnknownKey()
    {
        using E2eSender sender = parties.AliceToBobSender();
        parties.BobTrust.Forget("alice");
        using E2eReceiver receiver = parties.BobReceiver();

        Assert.Equal(E2eError.UnknownKey, TryOpen(receiver, sender.Seal("hi"u8)));
    }

    [Fact]
    public void Rotation_by_count_keeps_working_across_thousands_of_messages()
    {
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { MaxMessagesPerSession = 100 });
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] plaintext = new byte[64];
        byte[] envelope = new byte[E2eSender.GetMaxEnvelopeLength(8)];

        for (int i = 0; i < 5000; i++)
        {
            int length = sender.Seal(BitConverter.GetBytes((long)i), envelope);
            Assert.Equal(E2eError.None, receiver.TryOpen("alice", Parties.AliceToBob, envelope.AsSpan(0, length), plaintext, out int written));
            Assert.Equal(i, BitConverter.ToInt64(plaintext, 0));
            Assert.Equal(8, written);
        }

        Assert.Equal(50, sender.SessionsStarted);
        Assert.Equal(E2eReceiverOptions.Default.MaxSessionsPerSender, receiver.SessionCount);
    }

    [Fact]
    public void Rotation_by_time_starts_a_new_session_and_both_stay_open_for_stragglers()
    {
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { MaxSessionAge = TimeSpan.FromMinutes(10) });
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] early = sender.Seal("early"u8);
        byte[] straggler = sender.Seal("straggler"u8);
        Assert.Equal(E2eError.None, TryOpen(receiver, early));

        parties.Clock.Advance(TimeSpan.FromMinutes(10));
        byte[] late = sender.Seal("late"u8);

        Assert.Equal(2, sender.SessionsStarted);
        Assert.NotEqual(early[4..20], late[4..20]);
        Assert.Equal(E2eError.None, TryOpen(receiver, late));
        Assert.Equal(E2eError.None, TryOpen(receiver, straggler));
        Assert.Equal(2, receiver.SessionCount);
    }

    [Fact]
    public void Closed_sessions_are_refused_rather_than_reopened_with_a_fresh_window()
    {
        var options = new E2eReceiverOptions { MaxSessionsPerSender = 2 };
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { MaxMessagesPerSession = 1 });
        using E2eReceiver receiver = parties.BobReceiver(options);
        byte[][] sessions = new byte[4][];
        for (int i = 0; i < sessions.Length; i++)
        {
            parties.Clock.Advance(TimeSpan.FromMilliseconds(5));
            sessions[i] = sender.Seal([(byte)i]);
        }

        Assert.Equal(E2eError.None, TryOpen(receiver, sessions[0]));
        Assert.Equal(E2eError.None, TryOpen(receiver, sessions[1]));
        Assert.Equal(E2eError.None, TryOpen(receiver, sessions[3])); // closes session 0
        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(receiver, sessions[0])); // its replay is not reopened
        Assert.Equal(E2eError.None, TryOpen(receiver, sessions[2])); // closes 1; 2 is newer than it
        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(receiver, sessions[1]));
        Assert.Equal(2, receiver.SessionCount);
    }

    [Fact]
    public void Idle_sessions_are_erased_and_their_messages_then_refused()
    {
        var options = new E2eReceiverOptions { SessionIdleTimeout = TimeSpan.FromMinutes(30) };
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver(options);
        byte[] first = sender.Seal("first"u8);
        byte[] second = sender.Seal("second"u8);
        Assert.Equal(E2eError.None, TryOpen(receiver, first));

        parties.Clock.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(1, receiver.EvictIdleSessions());
        Assert.Equal(0, receiver.SessionCount);
        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(receiver, second));
        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(receiver, first));
    }

    [Fact]
    public void After_bob_rotates_his_agreement_key_old_sessions_open_and_alice_moves_to_the_new_key()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] beforeRotation = sender.Seal("sealed to the old key"u8);

        parties.Clock.Advance(TimeSpan.FromSeconds(1));
        KeyAnnouncement rotated = parties.Bob.RotateAgreementKey();
        Assert.Equal(TrustResult.Rotated, parties.AliceTrust.Accept(KeyAnnouncement.Parse(rotated.Encoded)));
        sender.UpdateRecipient(Parties.PeerIn(parties.AliceTrust, "bob"));
        byte[] afterRotation = sender.Seal("sealed to the new key"u8);

        Assert.Equal(2, sender.SessionsStarted);
        Assert.Equal(E2eError.None, TryOpen(receiver, afterRotation));
        Assert.Equal(E2eError.None, TryOpen(receiver, beforeRotation)); // offline delivery across a rotation
    }

    [Fact]
    public void After_alice_rotates_bob_needs_her_new_announcement_and_then_opens()
    {
        using E2eReceiver receiver = parties.BobReceiver();
        parties.Clock.Advance(TimeSpan.FromSeconds(1));
        KeyAnnouncement rotated = parties.Alice.RotateAgreementKey();
        using E2eSender sender = parties.AliceToBobSender();
        byte[] envelope = sender.Seal("from alice's new key"u8);

        Assert.Equal(E2eError.UnknownKey, TryOpen(receiver, envelope));
        Assert.Equal(TrustResult.Rotated, parties.BobTrust.Accept(rotated));
        Assert.Equal(E2eError.None, TryOpen(receiver, envelope));
    }

    [Fact]
    public void A_session_from_a_refused_changed_key_is_ChangedKey_and_opens_once_trusted()
    {
        using var impostor = E2eIdentity.Generate("alice", parties.Clock);
        using var fromImpostor = new E2eSender(impostor, Parties.PeerIn(parties.CarolTrust, "bob"), Parties.AliceToBob, null, parties.Clock);
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] envelope = fromImpostor.Seal("trust me"u8);
        Assert.Equal(E2eError.UnknownKey, TryOpen(receiver, envelope));

        Assert.Equal(E2eError.ChangedKey, Assert.Throws<E2eException>(() => parties.BobTrust.Accept(impostor.Announcement)).Error);
        Assert.Equal(E2eError.ChangedKey, TryOpen(receiver, envelope));

        parties.BobTrust.Trust("alice", impostor.Fingerprint);
        Assert.Equal(E2eError.None, TryOpen(receiver, envelope));
    }

    [Fact]
    public void Alice_refuses_to_send_to_a_peer_whose_key_changed_until_she_trusts_it()
    {
        using var mallory = E2eIdentity.Generate("bob", parties.Clock);
        Assert.Throws<E2eException>(() => parties.AliceTrust.Accept(mallory.Announcement));
        TrustedPeer bob = Parties.PeerIn(parties.AliceTrust, "bob");

        E2eException e = Assert.Throws<E2eException>(() => new E2eSender(parties.Alice, bob, Parties.AliceToBob));
        Assert.Equal(E2eError.ChangedKey, e.Error);
        Assert.Equal(mallory.Fingerprint, e.OfferedFingerprint);

        parties.AliceTrust.Trust("bob", mallory.Fingerprint);
        using var sender = new E2eSender(parties.Alice, Parties.PeerIn(parties.AliceTrust, "bob"), Parties.AliceToBob, null, parties.Clock);
        using var malloryReceiver = new E2eReceiver(mallory, parties.BobTrust, null, parties.Clock);
        using E2eReceiver realBob = parties.BobReceiver();
        byte[] envelope = sender.Seal("to whoever is bob now"u8);
        Assert.Equal(E2eError.WrongRecipient, TryOpen(realBob, envelope));
        Assert.Equal(E2eError.None, TryOpen(malloryReceiver, envelope));
    }

    [Fact]
    public void A_sender_cannot_be_updated_to_another_identity()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using var mallory = E2eIdentity.Generate("bob", parties.Clock);
        TrustStore other = TrustStore.InMemory();
        other.Accept(mallory.Announcement);

        Assert.Equal(E2eError.ChangedKey, Assert.Throws<E2eException>(() => sender.UpdateRecipient(Parties.PeerIn(other, "bob"))).Error);
    }

    [Fact]
    public void A_plaintext_buffer_too_small_is_a_typed_error_not_an_exception()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] envelope = sender.Seal("twelve bytes"u8);

        Assert.Equal(E2eError.DestinationTooSmall, receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[11], out _));
        Assert.Equal(E2eError.None, receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[12], out int written));
        Assert.Equal(12, written);
    }

    [Fact]
    public void A_topic_longer_than_any_sender_can_bind_is_Tampered_not_an_exception()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] envelope = sender.Seal("hi"u8);
        string longTopic = new('a', 65_536);

        Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", longTopic, envelope, new byte[8], out _));
        Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", Encoding.UTF8.GetBytes(longTopic), envelope, new byte[8], out _));
        Assert.Equal(E2eError.None, TryOpen(receiver, envelope));
    }

    [Fact]
    public void Topics_given_as_UTF8_bytes_or_strings_bind_the_same()
    {
        const string topic = "alice/bob/messages/\u00e9t\u00e9";
        using E2eSender sender = parties.AliceToBobSender(topic: topic);
        using E2eReceiver receiver = parties.BobReceiver();

        Assert.Equal(E2eError.None, receiver.TryOpen("alice", Encoding.UTF8.GetBytes(topic), sender.Seal("a"u8), new byte[8], out _));
        Assert.Equal(E2eError.None, receiver.TryOpen("alice", topic, sender.Seal("b"u8), new byte[8], out _));
    }

    [Fact]
    public void Disposed_senders_and_receivers_refuse_use()
    {
        E2eSender sender = parties.AliceToBobSender();
        E2eReceiver receiver = parties.BobReceiver();
        byte[] envelope = sender.Seal("x"u8);
        sender.Dispose();
        receiver.Dispose();

        Assert.Throws<ObjectDisposedException>(() => sender.Seal("y"u8));
        Assert.Throws<ObjectDisposedException>(() => receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[200], out _));
    }

    private static E2eError TryOpen(E2eReceiver receiver, byte[] envelope) =>
        receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[envelope.Length], out _);
}
