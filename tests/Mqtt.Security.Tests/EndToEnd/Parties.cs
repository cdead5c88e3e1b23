using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>
/// Alice, bob and carol with in-memory keys, each with a trust store in which the other two are pinned,
/// and a shared manual clock. Alice sends to bob on <c>alice/bob/messages</c> unless a test says otherwise.
/// </summary>
public sealed class Parties : IDisposable
{
    public const string AliceToBob = "alice/bob/messages";

    public Parties()
    {
        Alice = E2eIdentity.Generate("alice", Clock);
        Bob = E2eIdentity.Generate("bob", Clock);
        Carol = E2eIdentity.Generate("carol", Clock);
        AliceTrust = TrustStore.InMemory(Clock);
        BobTrust = TrustStore.InMemory(Clock);
        CarolTrust = TrustStore.InMemory(Clock);
        Pin(AliceTrust, Bob, Carol);
        Pin(BobTrust, Alice, Carol);
        Pin(CarolTrust, Alice, Bob);
    }

    public ManualTimeProvider Clock { get; } = new();

    public E2eIdentity Alice { get; }

    public E2eIdentity Bob { get; }

    public E2eIdentity Carol { get; }

    public TrustStore AliceTrust { get; }

    public TrustStore BobTrust { get; }

    public TrustStore CarolTrust { get; }

    public static TrustedPeer PeerIn(TrustStore store, string user) =>
        store.TryGetPeer(user, out TrustedPeer? peer) ? peer : throw new InvalidOperationException(user + " is not pinned");

    public E2eSender AliceToBobSender(E2eSenderOptions? options = null, string topic = AliceToBob) =>
        new(Alice, PeerIn(AliceTrust, "bob"), topic, options, Clock);

    public E2eReceiver BobReceiver(E2eReceiverOptions? options = null) => new(Bob, BobTrust, options, Clock);

    public E2eReceiver CarolReceiver() => new(Carol, CarolTrust, null, Clock);

    public void Dispose()
    {
        Alice.Dispose();
        Bob.Dispose();
        Carol.Dispose();
    }

    private static void Pin(TrustStore store, params E2eIdentity[] peers)
    {
        foreach (E2eIdentity peer in peers)
        {
            Assert.Equal(TrustResult.FirstUse, store.Accept(KeyAnnouncement.Parse(peer.Announcement.Encoded)));
        }
    }
}
