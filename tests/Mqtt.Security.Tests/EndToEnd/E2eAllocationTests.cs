using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>SECURITY.md section 5, "Cost": in an established session, sealing and opening allocate nothing.</summary>
public sealed class E2eAllocationTests : IDisposable
{
    private readonly Parties parties = new();

    public void Dispose() => parties.Dispose();

    [Theory]
    [InlineData(64, 1)]
    [InlineData(1024, 1)]
    [InlineData(1024, 16)]
    public void Seal_and_open_in_an_established_session_allocate_nothing(int size, int sessionStartInterval)
    {
        // The system clock, as in production: reading it must not allocate either.
        var options = new E2eSenderOptions { SessionStartInterval = sessionStartInterval };
        using var sender = new E2eSender(parties.Alice, Parties.PeerIn(parties.AliceTrust, "bob"), Parties.AliceToBob, options);
        using var receiver = new E2eReceiver(parties.Bob, parties.BobTrust);
        byte[] plaintext = new byte[size];
        byte[] envelope = new byte[E2eSender.GetMaxEnvelopeLength(size)];
        byte[] opened = new byte[size];
        SealAndOpen(sender, receiver, plaintext, envelope, opened); // starts the session, JIT

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            SealAndOpen(sender, receiver, plaintext, envelope, opened);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1, sender.SessionsStarted);
    }

    [Fact]
    public void A_refused_duplicate_allocates_nothing()
    {
        using var sender = new E2eSender(parties.Alice, Parties.PeerIn(parties.AliceTrust, "bob"), Parties.AliceToBob);
        using var receiver = new E2eReceiver(parties.Bob, parties.BobTrust);
        byte[] envelope = new byte[E2eSender.GetMaxEnvelopeLength(64)];
        int length = sender.Seal(new byte[64], envelope);
        byte[] opened = new byte[64];
        Assert.Equal(E2eError.None, receiver.TryOpen("alice", Parties.AliceToBob, envelope.AsSpan(0, length), opened, out _));
        Assert.Equal(E2eError.Duplicate, receiver.TryOpen("alice", Parties.AliceToBob, envelope.AsSpan(0, length), opened, out _));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            receiver.TryOpen("alice", Parties.AliceToBob, envelope.AsSpan(0, length), opened, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void SealAndOpen(E2eSender sender, E2eReceiver receiver, byte[] plaintext, byte[] envelope, byte[] opened)
    {
        int length = sender.Seal(plaintext, envelope);
        E2eError error = receiver.TryOpen("alice", Parties.AliceToBob, envelope.AsSpan(0, length), opened, out int written);
        if (error != E2eError.None || written != plaintext.Length)
        {
            throw new InvalidOperationException(error.ToString());
        }
    }
}
