using System.Runtime.Versioning;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

// File modes are POSIX; the mode checks skip themselves on Windows.
[UnsupportedOSPlatform("windows")]
public sealed class KeyStoreTests : IDisposable
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly ManualTimeProvider clock = new();
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    [SkippableFact]
    public void Created_keys_are_files_with_mode_0600_in_a_folder_with_mode_0700()
    {
        Skip.If(OperatingSystem.IsWindows());
        KeyStore store = KeyStore.Open(folder.Path, "alice", clock);
        using E2eIdentity alice = store.LoadOrCreateIdentity();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        string[] files = Directory.GetFiles(store.Directory);
        Assert.Equal(["agreement.pem", "announcement.bin", "identity.pem"], files.Select(Path.GetFileName).Order());
        Assert.All(files, static f => Assert.Equal(Mode0600, File.GetUnixFileMode(f)));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(Path.Combine(store.Directory, "identity.pem")), StringComparison.Ordinal);
    }

    /// <summary>A user's folder made with group or other bits (by hand, an old umask) is made private: a probe found 0755 kept.</summary>
    [SkippableFact]
    public void A_key_folder_others_may_enter_is_made_private_on_open()
    {
        Skip.If(OperatingSystem.IsWindows());
        string shared = Directory.CreateDirectory(Path.Combine(folder.Path, "alice")).FullName;
        File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        KeyStore store = KeyStore.Open(folder.Path, "alice", clock);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
    }

    [Fact]
    public void Loading_again_gives_the_same_keys_and_announcement()
    {
        KeyStore store = KeyStore.Open(folder.Path, "alice", clock);
        using E2eIdentity first = store.LoadOrCreateIdentity();
        clock.Advance(TimeSpan.FromHours(1));
        using E2eIdentity second = KeyStore.Open(folder.Path, "alice", clock).LoadOrCreateIdentity();

        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.Equal(first.Announcement.Encoded.ToArray(), second.Announcement.Encoded.ToArray());
    }

    [Fact]
    public void A_rotation_is_persisted_and_the_old_key_still_opens_messages_after_a_reload()
    {
        using var parties = new Parties();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using (E2eIdentity bob = store.LoadOrCreateIdentity())
        {
            parties.AliceTrust.Forget("bob");
            parties.AliceTrust.Accept(bob.Announcement);
            parties.BobTrust.Accept(parties.Alice.Announcement);
        }

        using var sender = parties.AliceToBobSender();
        byte[] sealedBeforeRotation = sender.Seal("before"u8);

        KeyAnnouncement rotated;
        using (E2eIdentity bob = store.LoadIdentity())
        {
            rotated = bob.RotateAgreementKey();
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.All(Directory.GetFiles(store.Directory), static f => Assert.Equal(Mode0600, File.GetUnixFileMode(f)));
        }

        Assert.Single(Directory.GetFiles(store.Directory, "agreement.retired.*.pem"));

        using E2eIdentity reloaded = store.LoadIdentity();
        Assert.Equal(rotated.Encoded.ToArray(), reloaded.Announcement.Encoded.ToArray());
        using var receiver = new E2eReceiver(reloaded, parties.BobTrust, null, parties.Clock);
        Assert.Equal("before"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, sealedBeforeRotation));
    }

    /// <summary>A receiver left running across `keys rotate` (another process, same folder) takes the new keys up.</summary>
    [Fact]
    public void A_running_identity_takes_up_a_rotation_saved_by_another_process()
    {
        using var parties = new Parties();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eIdentity running = store.LoadOrCreateIdentity();
        parties.AliceTrust.Forget("bob");
        parties.AliceTrust.Accept(running.Announcement);
        parties.BobTrust.Accept(parties.Alice.Announcement);
        byte[] sealedBeforeRotation;
        using (var sender = parties.AliceToBobSender())
        {
            sealedBeforeRotation = sender.Seal("before"u8);
        }
        Assert.False(running.ReloadRotation()); // nothing newer saved

        KeyAnnouncement rotated;
        using (E2eIdentity other = store.LoadIdentity())
        {
            parties.Clock.Advance(TimeSpan.FromSeconds(1));
            rotated = other.RotateAgreementKey();
        }

        Assert.True(running.ReloadRotation());
        Assert.Equal(rotated.Encoded.ToArray(), running.Announcement.Encoded.ToArray());
        Assert.False(running.ReloadRotation());
        Assert.Equal(TrustResult.Rotated, parties.AliceTrust.Accept(rotated));
        using var afterSender = parties.AliceToBobSender();
        using var receiver = new E2eReceiver(running, parties.BobTrust, null, parties.Clock);
        Assert.Equal("before"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, sealedBeforeRotation)); // the retired key came too
        Assert.Equal("after"u8.ToArray(), receiver.Open("alice", Parties.AliceToBob, afterSender.Seal("after"u8)));
    }

    [Fact]
    public void An_identity_without_a_key_store_has_nothing_to_reload()
    {
        using E2eIdentity inMemory = E2eIdentity.Generate("bob");
        Assert.False(inMemory.ReloadRotation());
    }

    [Fact]
    public void Only_the_newest_retired_agreement_keys_are_kept()
    {
        KeyStore store = KeyStore.Open(folder.Path, "bob", clock);
        using E2eIdentity bob = store.LoadOrCreateIdentity();
        for (int i = 0; i < 5; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            bob.RotateAgreementKey();
        }

        Assert.Equal(E2eIdentity.MaxRetiredAgreementKeys, Directory.GetFiles(store.Directory, "agreement.retired.*.pem").Length);
    }

    [SkippableFact]
    public void A_key_file_readable_by_others_is_refused()
    {
        Skip.If(OperatingSystem.IsWindows());
        KeyStore store = KeyStore.Open(folder.Path, "alice", clock);
        store.LoadOrCreateIdentity().Dispose();
        string identity = Path.Combine(store.Directory, "identity.pem");
        File.SetUnixFileMode(identity, Mode0600 | UnixFileMode.GroupRead);

        E2eException e = Assert.Throws<E2eException>(store.LoadIdentity);

        Assert.Equal(E2eError.InsecureKeyFile, e.Error);
        Assert.Contains("identity.pem", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_key_file_is_refused_as_corrupt()
    {
        KeyStore store = KeyStore.Open(folder.Path, "alice", clock);
        store.LoadOrCreateIdentity().Dispose();
        File.WriteAllText(Path.Combine(store.Directory, "identity.pem"), "not a key");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(store.Directory, "identity.pem"), Mode0600);
        }

        Assert.Equal(E2eError.CorruptKeyFile, Assert.Throws<E2eException>(store.LoadIdentity).Error);
    }

    [Fact]
    public void A_missing_announcement_or_agreement_key_is_repaired_under_the_same_identity()
    {
        KeyStore store = KeyStore.Open(folder.Path, "alice", clock);
        Fingerprint fingerprint;
        using (E2eIdentity alice = store.LoadOrCreateIdentity())
        {
            fingerprint = alice.Fingerprint;
        }

        File.Delete(Path.Combine(store.Directory, "announcement.bin"));
        File.Delete(Path.Combine(store.Directory, "agreement.pem"));

        using E2eIdentity repaired = store.LoadIdentity();
        Assert.Equal(fingerprint, repaired.Fingerprint);
        Assert.True(File.Exists(Path.Combine(store.Directory, "announcement.bin")));
        Assert.Empty(Directory.GetFiles(store.Directory, "*.tmp"));
    }

    [Fact]
    public void User_names_that_are_not_plain_file_names_never_escape_the_root()
    {
        KeyStore dots = KeyStore.Open(folder.Path, "..", clock);
        KeyStore spaced = KeyStore.Open(folder.Path, "a b/../c".Replace("/", "", StringComparison.Ordinal), clock);

        Assert.Equal(folder.Path, Path.GetDirectoryName(dots.Directory));
        Assert.StartsWith("~", Path.GetFileName(dots.Directory), StringComparison.Ordinal);
        Assert.Equal(folder.Path, Path.GetDirectoryName(spaced.Directory));
        Assert.Equal("alice", Path.GetFileName(KeyStore.Open(folder.Path, "alice", clock).Directory));
        Assert.Throws<ArgumentException>(() => KeyStore.Open(folder.Path, "a/b", clock));
    }
}
