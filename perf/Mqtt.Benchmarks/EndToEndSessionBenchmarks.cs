using BenchmarkDotNet.Attributes;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Benchmarks;

/// <summary>
/// The public-key cost of one end-to-end session, paid once per rotation (by default every 100,000
/// messages or hour): the sender's HPKE auth-mode encapsulation with its first seal, and the receiver's
/// decapsulation with its first open.
/// </summary>
[MemoryDiagnoser]
public class EndToEndSessionBenchmarks : IDisposable
{
    private const string Topic = "alice/bob/messages";

    private readonly byte[] plaintext = new byte[64];
    private readonly byte[] opened = new byte[64];
    private E2eIdentity alice = null!;
    private E2eIdentity bob = null!;
    private TrustStore bobTrust = null!;
    private TrustedPeer bobPeer = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        alice = E2eIdentity.Generate("alice");
        bob = E2eIdentity.Generate("bob");
        TrustStore aliceTrust = TrustStore.InMemory();
        aliceTrust.Accept(bob.Announcement);
        bobTrust = TrustStore.InMemory();
        bobTrust.Accept(alice.Announcement);
        aliceTrust.TryGetPeer("bob", out TrustedPeer? peer);
        bobPeer = peer!;
    }

    [Benchmark]
    public E2eError SessionStartSealAndOpen()
    {
        using var sender = new E2eSender(alice, bobPeer, Topic);
        using var receiver = new E2eReceiver(bob, bobTrust);
        byte[] envelope = sender.Seal(plaintext);
        return receiver.TryOpen("alice", Topic, envelope, opened, out _);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        alice.Dispose();
        bob.Dispose();
        GC.SuppressFinalize(this);
    }
}
