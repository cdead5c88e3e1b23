using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Benchmarks;

/// <summary>
/// Per-message cost of the end-to-end layer in an established session (docs/e2e.md, "Cost"): seal and
/// open of 64 B and 1 KiB against a bare AES-256-GCM encrypt and decrypt of the same size. The bare
/// baselines use no associated data, as the E2E layer does since envelope version 2; the "WithAad" rows
/// add the 149 bytes of associated data version 1 used (header with session start, topic, sender and
/// recipient), to show what that costs on this platform (docs/e2e.md, "What binds a message").
/// <para>
/// Opening: a receiver accepts an envelope once, so each open needs one it has not seen. A message being
/// opened has just been received and is in cache, so the envelopes come from a small ring
/// (<see cref="RingSize"/>, sealed in the iteration setup) that
/// <see cref="Receivers"/> independent receivers of the same session each open in turn: every operation
/// is a first open, and the ring stays cache-resident. The bare decrypt rows read from a ring of the same
/// size and stride (each slot its own nonce, tag and ciphertext) in the same order.
/// </para>
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[InvocationCount(OperationsPerIteration)]
public class EndToEndBenchmarks : IDisposable
{
    /// <summary>The replay window's size: after an iteration, each receiver must still refuse every ring envelope as a duplicate.</summary>
    private const int RingSize = 64;
    private const int Receivers = 256;
    private const int OperationsPerIteration = RingSize * Receivers;
    private const string Topic = "alice/bob/messages";

    private E2eIdentity alice = null!;
    private E2eIdentity bob = null!;
    private E2eSender sealer = null!;
    private E2eSender openSender = null!;
    private E2eReceiver[] receivers = null!;
    private AesGcm bare = null!;
    private byte[] plaintext = null!;
    private byte[] envelope = null!;
    private byte[] opened = null!;
    private byte[] nonce = null!;
    private byte[] bareCiphertext = null!;
    private byte[] bareTag = null!;
    private byte[] aad = null!;
    private byte[] aadCiphertext = null!;
    private byte[] aadTag = null!;
    private byte[] ring = null!;
    private int[] ringLengths = null!;
    private byte[] bareRing = null!;
    private byte[] aadRing = null!;
    private ulong counter;
    private int next;
    private uint bareNext;

    [Params(64, 1024)]
    public int Size { get; set; }

    private int Stride => envelope.Length;

    [GlobalSetup]
    public void GlobalSetup()
    {
        alice = E2eIdentity.Generate("alice");
        bob = E2eIdentity.Generate("bob");
        TrustStore aliceTrust = TrustStore.InMemory();
        aliceTrust.Accept(bob.Announcement);
        TrustStore bobTrust = TrustStore.InMemory();
        bobTrust.Accept(alice.Announcement);
        aliceTrust.TryGetPeer("bob", out TrustedPeer? bobPeer);

        // Steady state: no rotation inside the run (a session start is measured by EndToEndSessionBenchmarks).
        var options = new E2eSenderOptions { MaxMessagesPerSession = 1L << 32, MaxSessionAge = TimeSpan.FromDays(1) };
        sealer = new E2eSender(alice, bobPeer!, Topic, options);
        openSender = new E2eSender(alice, bobPeer!, Topic, options);

        plaintext = RandomNumberGenerator.GetBytes(Size);
        envelope = new byte[E2eSender.GetMaxEnvelopeLength(Size)];
        opened = new byte[Size];
        ring = new byte[RingSize * Stride];
        ringLengths = new int[RingSize];

        sealer.Seal(plaintext, envelope); // starts the sealing session
        int length = openSender.Seal(plaintext, envelope); // and the opening one, which every receiver caches now
        receivers = new E2eReceiver[Receivers];
        for (int i = 0; i < receivers.Length; i++)
        {
            receivers[i] = new E2eReceiver(bob, bobTrust, new E2eReceiverOptions { SessionIdleTimeout = TimeSpan.FromDays(1) });
            Expect(E2eError.None, receivers[i].TryOpen("alice", Topic, envelope.AsSpan(0, length), opened, out _), i, -1);
        }

        bare = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        nonce = new byte[12];
        bareCiphertext = new byte[Size];
        bareTag = new byte[16];
        aad = RandomNumberGenerator.GetBytes(E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize + 2 + Topic.Length + 2 + 5 + 2 + 3);
        aadCiphertext = new byte[Size];
        aadTag = new byte[16];
        bareRing = SealBareRing(null);
        aadRing = SealBareRing(aad);
    }

    [IterationSetup(Target = nameof(E2eOpen))]
    public void SealEnvelopesToOpen()
    {
        for (int i = 0; i < RingSize; i++)
        {
            ringLengths[i] = openSender.Seal(plaintext, ring.AsSpan(i * Stride, Stride));
        }

        next = 0;
    }

    /// <summary>Every open of the iteration succeeded: each is now refused as a duplicate (a failed one would open now).</summary>
    [IterationCleanup(Target = nameof(E2eOpen))]
    public void CheckEveryOpenSucceeded()
    {
        for (int n = 0; n < next; n++)
        {
            int slot = n % RingSize;
            E2eError again = receivers[n / RingSize].TryOpen("alice", Topic, ring.AsSpan(slot * Stride, ringLengths[slot]), opened, out _);
            Expect(E2eError.Duplicate, again, n / RingSize, slot);
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Seal")]
    public int BareAesGcmEncrypt()
    {
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), ++counter);
        bare.Encrypt(nonce, plaintext, bareCiphertext, bareTag);
        return bareTag[0];
    }

    [Benchmark]
    [BenchmarkCategory("Seal")]
    public int BareAesGcmEncryptWithAad()
    {
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), ++counter);
        bare.Encrypt(nonce, plaintext, aadCiphertext, aadTag, aad);
        return aadTag[0];
    }

    [Benchmark]
    [BenchmarkCategory("Seal")]
    public int E2eSeal() => sealer.Seal(plaintext, envelope);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Open")]
    public int BareAesGcmDecrypt() => DecryptFromRing(bareRing, default);

    [Benchmark]
    [BenchmarkCategory("Open")]
    public int BareAesGcmDecryptWithAad() => DecryptFromRing(aadRing, aad);

    [Benchmark]
    [BenchmarkCategory("Open")]
    public E2eError E2eOpen()
    {
        int n = next++;
        int slot = n % RingSize;
        return receivers[n / RingSize].TryOpen("alice", Topic, ring.AsSpan(slot * Stride, ringLengths[slot]), opened, out _);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        sealer.Dispose();
        openSender.Dispose();
        foreach (E2eReceiver receiver in receivers)
        {
            receiver.Dispose();
        }

        bare.Dispose();
        alice.Dispose();
        bob.Dispose();
        GC.SuppressFinalize(this);
    }

    private static void Expect(E2eError expected, E2eError actual, int receiver, int slot)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"Receiver {receiver}, ring slot {slot}: {actual}, expected {expected}.");
        }
    }

    /// <summary>Slot i holds nonce (12) || tag (16) || ciphertext, at the envelope ring's stride; sealed once, here.</summary>
    private byte[] SealBareRing(byte[]? associatedData)
    {
        byte[] slots = new byte[RingSize * Stride];
        for (int i = 0; i < RingSize; i++)
        {
            Span<byte> slot = slots.AsSpan(i * Stride, Stride);
            BinaryPrimitives.WriteUInt64BigEndian(slot[4..12], (ulong)i + 1);
            bare.Encrypt(slot[..12], plaintext, slot.Slice(28, Size), slot[12..28], associatedData);
        }

        return slots;
    }

    private int DecryptFromRing(byte[] slots, ReadOnlySpan<byte> associatedData)
    {
        int slot = (int)(bareNext++ % RingSize);
        ReadOnlySpan<byte> input = slots.AsSpan(slot * Stride, Stride);
        bare.Decrypt(input[..12], input.Slice(28, Size), input[12..28], opened, associatedData);
        return opened[0];
    }
}
