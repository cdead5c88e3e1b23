using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Benchmarks;

/// <summary>
/// Per-message cost of the end-to-end layer in an established session (SECURITY.md section 5, "Cost"):
/// seal and open of 64 B and 1 KiB against a bare AES-256-GCM encrypt and decrypt of the same size.
/// Each iteration runs a fixed number of operations so that the open benchmark can be fed envelopes
/// it has not accepted yet (a replayed envelope would only measure the duplicate check); they are
/// sealed in the iteration setup, outside the measurement. The bare baselines use no associated data;
/// the "WithAad" rows add associated data as long as the E2E one (149 bytes: header with session start,
/// topic, sender and recipient), to show how much of the difference is that. The bare decrypt rows read
/// their inputs from a ring of the same size and stride as the envelopes the open benchmark reads, each
/// slot a distinct nonce, tag and ciphertext, so both sides pay the same cache misses.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[InvocationCount(OperationsPerIteration)]
public class EndToEndBenchmarks : IDisposable
{
    private const int OperationsPerIteration = 65536;
    private const string Topic = "alice/bob/messages";

    private E2eIdentity alice = null!;
    private E2eIdentity bob = null!;
    private E2eSender sealer = null!;
    private E2eSender openSender = null!;
    private E2eReceiver receiver = null!;
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
    private int bareNext;
    private ulong counter;
    private int next;

    [Params(64, 1024)]
    public int Size { get; set; }

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
        receiver = new E2eReceiver(bob, bobTrust, new E2eReceiverOptions { SessionIdleTimeout = TimeSpan.FromDays(1) });

        plaintext = RandomNumberGenerator.GetBytes(Size);
        envelope = new byte[E2eSender.GetMaxEnvelopeLength(Size)];
        opened = new byte[Size];
        ring = new byte[OperationsPerIteration * envelope.Length];
        ringLengths = new int[OperationsPerIteration];

        bare = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        nonce = new byte[12];
        bareCiphertext = new byte[Size];
        bareTag = new byte[16];
        aad = RandomNumberGenerator.GetBytes(E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize + 2 + Topic.Length + 2 + 5 + 2 + 3);
        aadCiphertext = new byte[Size];
        aadTag = new byte[16];
        bareRing = SealBareRing(null);
        aadRing = SealBareRing(aad);

        sealer.Seal(plaintext, envelope); // starts the sealing session
        int length = openSender.Seal(plaintext, envelope); // and the opening one, cached by the receiver
        receiver.TryOpen("alice", Topic, envelope.AsSpan(0, length), opened, out _);
    }

    [IterationSetup(Target = nameof(E2eOpen))]
    public void SealEnvelopesToOpen()
    {
        for (int i = 0; i < OperationsPerIteration; i++)
        {
            ringLengths[i] = openSender.Seal(plaintext, ring.AsSpan(i * envelope.Length, envelope.Length));
        }

        next = 0;
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
        bareRing = SealBareRing(null);
        aadRing = SealBareRing(aad);
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
        int i = next++ % OperationsPerIteration;
        return receiver.TryOpen("alice", Topic, ring.AsSpan(i * envelope.Length, ringLengths[i]), opened, out _);
    }

    /// <summary>Slot i holds nonce (12) || tag (16) || ciphertext, at the envelope ring's stride.</summary>
    private byte[] SealBareRing(byte[]? associatedData)
    {
        int stride = envelope.Length;
        var slots = new byte[OperationsPerIteration * stride];
        for (int i = 0; i < OperationsPerIteration; i++)
        {
            Span<byte> slot = slots.AsSpan(i * stride, stride);
            BinaryPrimitives.WriteUInt64BigEndian(slot[4..12], (ulong)i + 1);
            bare.Encrypt(slot[..12], plaintext, slot.Slice(28, Size), slot[12..28], associatedData);
        }
        return slots;
    }

    private int DecryptFromRing(byte[] slots, ReadOnlySpan<byte> associatedData)
    {
        int i = bareNext++ % OperationsPerIteration;
        ReadOnlySpan<byte> slot = slots.AsSpan(i * envelope.Length, envelope.Length);
        bare.Decrypt(slot[..12], slot.Slice(28, Size), slot[12..28], opened, associatedData);
        return opened[0];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        sealer.Dispose();
        openSender.Dispose();
        receiver.Dispose();
        bare.Dispose();
        alice.Dispose();
        bob.Dispose();
        GC.SuppressFinalize(this);
    }
}
