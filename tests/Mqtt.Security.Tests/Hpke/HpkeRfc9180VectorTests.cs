using System.Collections.Concurrent;
using Mqtt.Security.Hpke;
using static Mqtt.Security.Tests.Hpke.HpkeTestVector;

namespace Mqtt.Security.Tests.Hpke;

/// <summary>
/// RFC 9180 appendix A.3 (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM): every value of
/// every vector. The shared file is the team's copy of A.3.1; the a3 file adds A.3.1's exported
/// values and the psk, auth and auth_psk vectors A.3.2-A.3.4.
/// </summary>
public sealed class HpkeRfc9180VectorTests
{
    private const string SharedFile = "hpke-rfc9180-p256.json";
    private const string AppendixFile = "hpke-rfc9180-p256-a3.json";
    private static readonly string[] Files = [SharedFile, AppendixFile];
    private static readonly ConcurrentDictionary<string, IReadOnlyList<HpkeTestVector>> Loaded = new();

    public static TheoryData<string, int> AllVectors() => Select(static _ => true);

    public static TheoryData<string, int> VectorsWithExports() => Select(static v => v.Exports is { Count: > 0 });

    [Fact]
    public void The_vector_files_cover_every_mode_and_the_shared_file_is_the_base_vector()
    {
        IReadOnlyList<HpkeTestVector> shared = Vectors(SharedFile);
        Assert.Single(shared);
        Assert.Equal((int)HpkeMode.Base, shared[0].Mode);
        Assert.Equal([0, 1, 2, 3], Vectors(AppendixFile).Select(static v => v.Mode).Order());
        Assert.All(Files.SelectMany(Vectors), static v => Assert.Equal(6, v.Encryptions.Count));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void DeriveKeyPair_gives_the_vector_key_pairs(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);
        AssertDerives(v.IkmE, v.SkEm, v.PkEm);
        AssertDerives(v.IkmR, v.SkRm, v.PkRm);
        if (v.HasSender)
        {
            AssertDerives(v.IkmS!, v.SkSm!, v.PkSm!);
        }
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void Encap_with_the_vector_ephemeral_key_gives_the_vector_enc_and_shared_secret(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);
        using HpkePrivateKey skE = DhkemP256.DeserializePrivateKey(Hex(v.SkEm));
        HpkePublicKey pkR = DhkemP256.DeserializePublicKey(Hex(v.PkRm));
        using HpkePrivateKey? skS = v.HasSender ? DhkemP256.DeserializePrivateKey(Hex(v.SkSm)) : null;

        (byte[] sharedSecret, byte[] enc) = skS is null
            ? DhkemP256.Encap(pkR, skE)
            : DhkemP256.AuthEncap(pkR, skS, skE);

        Assert.Equal(v.Enc, Convert.ToHexStringLower(enc));
        Assert.Equal(v.SharedSecret, Convert.ToHexStringLower(sharedSecret));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void Decap_of_the_vector_enc_gives_the_vector_shared_secret(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);
        using HpkePrivateKey skR = DhkemP256.DeserializePrivateKey(Hex(v.SkRm));

        byte[] sharedSecret = v.HasSender
            ? DhkemP256.AuthDecap(Hex(v.Enc), skR, DhkemP256.DeserializePublicKey(Hex(v.PkSm)))
            : DhkemP256.Decap(Hex(v.Enc), skR);

        Assert.Equal(v.SharedSecret, Convert.ToHexStringLower(sharedSecret));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void KeySchedule_gives_the_vector_context_secret_key_nonce_and_exporter_secret(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);

        HpkeKeySchedule schedule = HpkeKeySchedule.Derive(
            Suite(v), (HpkeMode)v.Mode, Hex(v.SharedSecret), Hex(v.Info), Hex(v.Psk), Hex(v.PskId));

        Assert.Equal(v.KeyScheduleContext, Convert.ToHexStringLower(schedule.KeyScheduleContext));
        Assert.Equal(v.Secret, Convert.ToHexStringLower(schedule.Secret));
        Assert.Equal(v.Key, Convert.ToHexStringLower(schedule.Key));
        Assert.Equal(v.BaseNonce, Convert.ToHexStringLower(schedule.BaseNonce));
        Assert.Equal(v.ExporterSecret, Convert.ToHexStringLower(schedule.ExporterSecret));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void Sender_context_seals_each_vector_plaintext_to_the_vector_ciphertext_at_its_sequence_number(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);
        (byte[] enc, HpkeSenderContext context) = SetupSender(v);
        using (context)
        {
            Assert.Equal(v.Enc, Convert.ToHexStringLower(enc));
            foreach (HpkeTestEncryption e in v.Encryptions)
            {
                SkipTo(context, e.Seq);
                byte[] ct = context.Seal(Hex(e.Aad), Hex(e.Pt));
                Assert.Equal(e.Ct, Convert.ToHexStringLower(ct));
                Assert.Equal(e.Seq + 1, context.SequenceNumber);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void Recipient_context_opens_each_vector_ciphertext_at_its_sequence_number(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);
        using HpkeRecipientContext context = SetupRecipient(v);
        foreach (HpkeTestEncryption e in v.Encryptions)
        {
            SkipTo(context, e.Seq);
            byte[] pt = context.Open(Hex(e.Aad), Hex(e.Ct));
            Assert.Equal(e.Pt, Convert.ToHexStringLower(pt));
        }
    }

    [Theory]
    [MemberData(nameof(VectorsWithExports))]
    public void Both_contexts_export_the_vector_values(string file, int index)
    {
        HpkeTestVector v = Vector(file, index);
        (_, HpkeSenderContext sender) = SetupSender(v);
        using (sender)
        using (HpkeRecipientContext recipient = SetupRecipient(v))
        {
            foreach (HpkeTestExport x in v.Exports!)
            {
                Assert.Equal(x.ExportedValue, Convert.ToHexStringLower(sender.Export(Hex(x.ExporterContext), x.Length)));
                Assert.Equal(x.ExportedValue, Convert.ToHexStringLower(recipient.Export(Hex(x.ExporterContext), x.Length)));
            }
        }
    }

    private static TheoryData<string, int> Select(Func<HpkeTestVector, bool> filter)
    {
        var data = new TheoryData<string, int>();
        foreach (string file in Files)
        {
            IReadOnlyList<HpkeTestVector> vectors = Vectors(file);
            for (int i = 0; i < vectors.Count; i++)
            {
                if (filter(vectors[i]))
                {
                    data.Add(file, i);
                }
            }
        }

        return data;
    }

    private static IReadOnlyList<HpkeTestVector> Vectors(string file) => Loaded.GetOrAdd(file, Load);

    private static HpkeTestVector Vector(string file, int index) => Vectors(file)[index];

    private static HpkeSuite Suite(HpkeTestVector v)
    {
        Assert.True(HpkeSuite.TryGet((HpkeKemId)v.KemId, (HpkeKdfId)v.KdfId, (HpkeAeadId)v.AeadId, out HpkeSuite? suite));
        return suite;
    }

    private static void AssertDerives(string ikm, string sk, string pk)
    {
        using HpkePrivateKey key = DhkemP256.DeriveKeyPair(Hex(ikm));
        Assert.Equal(sk, Convert.ToHexStringLower(DhkemP256.SerializePrivateKey(key)));
        Assert.Equal(pk, Convert.ToHexStringLower(DhkemP256.SerializePublicKey(key.PublicKey)));
    }

    private static (byte[] Enc, HpkeSenderContext Context) SetupSender(HpkeTestVector v)
    {
        using HpkePrivateKey skE = DhkemP256.DeserializePrivateKey(Hex(v.SkEm));
        using HpkePrivateKey? skS = v.HasSender ? DhkemP256.DeserializePrivateKey(Hex(v.SkSm)) : null;
        HpkePublicKey pkR = DhkemP256.DeserializePublicKey(Hex(v.PkRm));
        return Suite(v).SetupS((HpkeMode)v.Mode, pkR, Hex(v.Info), Hex(v.Psk), Hex(v.PskId), skS, skE);
    }

    // The recipient goes through the public setup functions, one per mode.
    private static HpkeRecipientContext SetupRecipient(HpkeTestVector v)
    {
        HpkeSuite suite = Suite(v);
        using HpkePrivateKey skR = DhkemP256.DeserializePrivateKey(Hex(v.SkRm));
        byte[] enc = Hex(v.Enc);
        byte[] info = Hex(v.Info);
        return (HpkeMode)v.Mode switch
        {
            HpkeMode.Base => suite.SetupBaseR(enc, skR, info),
            HpkeMode.Psk => suite.SetupPskR(enc, skR, info, Hex(v.Psk), Hex(v.PskId)),
            HpkeMode.Auth => suite.SetupAuthR(enc, skR, info, DhkemP256.DeserializePublicKey(Hex(v.PkSm))),
            HpkeMode.AuthPsk => suite.SetupAuthPskR(enc, skR, info, Hex(v.Psk), Hex(v.PskId), DhkemP256.DeserializePublicKey(Hex(v.PkSm))),
            _ => throw new InvalidDataException($"mode {v.Mode}"),
        };
    }

    // The RFC seals one message per sequence number and lists a few; jump over the unlisted ones.
    private static void SkipTo(HpkeContext context, ulong seq)
    {
        Assert.True(context.SequenceNumber <= seq);
        context.SequenceNumber = seq;
    }
}
