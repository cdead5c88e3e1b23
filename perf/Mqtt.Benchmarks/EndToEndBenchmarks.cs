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
/// topic, sender and recipient), to show how much of the difference is that.
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
        bare.Encrypt(nonce, plaintext, bareCiphertext, bareTag);
        aad = RandomNumberGenerator.GetBytes(E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize + 2 + Topic.Length + 2 + 5 + 2 + 3);
        aadCiphertext = new byte[Size];
        aadTag = new byte[16];
        bare.Encrypt(nonce, plaintext, aadCiphertext, aadTag, aad);

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
        return aadTag[0];
    }

    [Benchmark]
    [BenchmarkCategory("Seal")]
    public int E2eSeal() => sealer.Seal(plaintext, envelope);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Open")]
    public int BareAesGcmDecrypt()
    {
        bare.Decrypt(nonce, bareCiphertext, bareTag, opened);
        return opened[0];
    }

    [Benchmark]
    [BenchmarkCategory("Open")]
    public int BareAesGcmDecryptWithAad()
    {
        bare.Decrypt(nonce, aadCiphertext, aadTag, opened, aad);
        return opened[0];
    }

    [Benchmark]
    [BenchmarkCategory("Open")]
    public E2eError E2eOpen()
    {
        int i = next++ % OperationsPerIteration;
        return receiver.TryOpen("alice", Topic, ring.AsSpan(i * envelope.Length, ringLengths[i]), opened, out _);
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
