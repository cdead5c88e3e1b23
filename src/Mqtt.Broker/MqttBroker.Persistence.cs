using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;
using Mqtt.Security.Credentials;

namespace Mqtt.Broker;

public sealed partial class MqttBroker
{
    private readonly Lock _saveGate = new();
    private readonly ReaderWriterLockSlim _captureGate = new();
    private Timer? _autosave;
    private FileStream? _stateLock;
    private bool _stateLoaded;

    /// <summary>
    /// Loads the state file, if persistence is on and there is one, before anything listens (once: a start retried
    /// after a failed bind does not load it again). A session whose user is no longer in the credential store is
    /// dropped (as a revocation drops it), one whose expiry passed while the broker was down is gone; today's options
    /// apply to what is restored: the session expiry cap, the subscription limit, and the ACL to every message not
    /// yet delivered.
    /// </summary>
    /// <exception cref="StateFileException">The file is corrupt; the broker must not start without what it held.</exception>
    private void LoadState()
    {
        if (_stateLoaded)
        {
            return;
        }
        if (Options.PersistenceFile is not string path)
        {
            _stateLoaded = true;
            return;
        }
        _stateLock ??= LockStateFile(path);
        StateFileWriter.DeleteStaleTemporaryFiles(path);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            _stateLoaded = true;
            return;
        }
        StateClock clock = StateClock.Now;
        BrokerState state = StateFileReader.Read(path, clock);
        foreach (ApplicationMessage message in state.Retained)
        {
            if (!message.IsExpired(clock.Ticks))
            {
                Retained.Restore(message);
            }
        }
        int restored = 0;
        foreach (SessionState saved in state.Sessions)
        {
            if (saved.UserName is string user && !IsSameUser(user, saved.CredentialTag))
            {
                // Removed, or removed and made anew (which a new password cannot be told from): the session was not
                // this user's, as a revocation would have dropped it had the broker been running.
                Logger.LogInformation("dropped the saved session of {ClientId}: user {User} was removed or changed", AuthAudit.Safe(saved.ClientId), AuthAudit.Safe(user));
                continue;
            }
            Session session = NewSession(saved.ClientId, saved.UserName);
            // Routing checked the ACL of the day; the file may have changed since. A released QoS 2 message was
            // delivered already: only its PUBREL is left.
            int unreadable = saved.Queued.RemoveAll(d => !Options.Authorizer.CanReceive(session.Client, d.Message.Topic))
                + saved.Inflight.RemoveAll(d => !d.Released && !Options.Authorizer.CanReceive(session.Client, d.Message.Topic));
            if (unreadable > 0)
            {
                Logger.LogInformation("dropped {Count} saved messages for {ClientId}: the ACL no longer lets it read them", unreadable, AuthAudit.Safe(saved.ClientId));
            }
            session.Restore(saved, Options.CapSessionExpiry(saved.ExpiryInterval), clock.Ticks);
            if (session.IsExpired(clock.Ticks))
            {
                continue;
            }
            _sessions[session.ClientId] = session;
            foreach (SavedSubscription subscription in saved.Subscriptions)
            {
                ReasonCode granted = AddSubscription(new SubscriptionEntry(session, subscription.Filter, subscription.Options, subscription.Identifier), out _);
                if (granted >= ReasonCode.UnspecifiedError)
                {
                    Logger.LogWarning("dropped the saved subscription {Filter} of {ClientId}: 0x{Code:X2}", AuthAudit.Safe(subscription.Filter), AuthAudit.Safe(saved.ClientId), (byte)granted);
                }
            }
            restored++;
        }
        _stateLoaded = true;
        Logger.LogInformation("loaded {Sessions} sessions and {Retained} retained messages from {Path}", restored, Retained.Count, path);
    }

    /// <summary>
    /// Holds PATH.lock (an exclusive flock) while the broker runs: a second broker on the same state file would save
    /// over this one's, so it does not start.
    /// </summary>
    private static FileStream LockStateFile(string path)
    {
        string lockPath = path + ".lock";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = AtomicFile.OwnerOnly;
            }
            return new FileStream(lockPath, options);
        }
        catch (IOException e) when (IsHeldByAnother(e))
        {
            throw new IOException($"state file {path}: another broker is using it ({lockPath} is locked)", e);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // A read-only file system, an I/O error: said as it is, not as a broker that is not there.
            throw new IOException($"state file {path}: {lockPath} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>
    /// The lock is taken: EWOULDBLOCK from flock (.NET's HResult is the errno: 11 on Linux, 35 on macOS and the BSDs),
    /// a sharing violation on Windows.
    /// </summary>
    private static bool IsHeldByAnother(IOException e) =>
        e.HResult == (OperatingSystem.IsWindows() ? unchecked((int)0x80070020) : OperatingSystem.IsLinux() ? 11 : 35);

    /// <summary>Saves every <see cref="BrokerOptions.AutosaveInterval"/> when persistence is on.</summary>
    private void StartAutosave()
    {
        if (Options.PersistenceFile is not null && Options.AutosaveInterval > TimeSpan.Zero)
        {
            _autosave = new Timer(static state => ((MqttBroker)state!).Autosave(), this, Options.AutosaveInterval, Options.AutosaveInterval);
        }
    }

    private void Autosave()
    {
        try
        {
            SaveState();
        }
        catch (Exception)
        {
            // Logged by SaveState. Whatever failed, the broker goes on (as Mosquitto's autosave does) and the previous
            // file is intact; an exception escaping a timer callback would end the process.
        }
    }

    /// <summary>
    /// Writes retained messages (not $SYS ones, made afresh by the broker) and every session that outlives its
    /// connection to the state file, replacing it atomically. One save at a time.
    /// </summary>
    internal void SaveState()
    {
        // A broker whose file did not load (or that never started) must not replace that file with nothing.
        if (Options.PersistenceFile is not string path || !_stateLoaded)
        {
            return;
        }
        lock (_saveGate)
        {
            try
            {
                StateClock clock = StateClock.Now;
                StateFileWriter.Write(path, Snapshot(clock.Ticks), clock);
            }
            catch (Exception e)
            {
                Logger.LogError(e, "could not save the state to {Path}", path);
                throw;
            }
        }
    }

    /// <summary>
    /// Makes a save one instant for QoS 2 flows: a connection routes a QoS 2 message and holds its Packet Identifier
    /// under the read side, a save captures everything under the write side. Captured session by session without it,
    /// a save could hold a publisher's id but miss the copy routed to a subscriber captured just before; after a
    /// crash the publisher's resend would only be acknowledged, and the message lost. Null without persistence.
    /// </summary>
    internal ReaderWriterLockSlim? SaveGate => Options.PersistenceFile is null ? null : _captureGate;

    private BrokerState Snapshot(long now)
    {
        _captureGate.EnterWriteLock();
        try
        {
            return Capture(now);
        }
        finally
        {
            _captureGate.ExitWriteLock();
        }
    }

    private BrokerState Capture(long now)
    {
        var state = new BrokerState();
        // "#" leaves out topics starting with '$' [MQTT-4.7.2-1], and only the broker publishes those.
        state.Retained.AddRange(Retained.Match("#", now));
        Session[] sessions;
        lock (_sessionsGate)
        {
            sessions = [.. _sessions.Values];
        }
        foreach (Session session in sessions)
        {
            SessionState saved = session.Capture(now);
            // Checked after the capture: a session taken over or revoked meanwhile has left the map (a revocation
            // removes it before it marks it ended).
            if (saved.ExpiryInterval == 0 || session.HasEnded || session.IsExpired(now) || !IsCurrent(session))
            {
                continue;
            }
            if (saved.UserName is string user)
            {
                saved.CredentialTag = CredentialTagOf(user) ?? [];
            }
            if (!StateFileWriter.CanStore(saved))
            {
                // Only a custom authenticator's user name can be beyond what the file holds (the codec checked the rest).
                Logger.LogWarning("not saving the session of {ClientId}: its names do not fit the state file", AuthAudit.Safe(saved.ClientId));
                continue;
            }
            state.Sessions.Add(saved);
        }
        return state;
    }

    /// <summary>True when there is no credential store, or it still has the entry the session was saved with.</summary>
    private bool IsSameUser(string user, byte[] savedTag) =>
        Options.CredentialStore is null || CredentialTagOf(user) is byte[] tag && tag.AsSpan().SequenceEqual(savedTag);

    /// <summary>A digest of the user's credential file entry (salts and keys, no password); null when it has none.</summary>
    private byte[]? CredentialTagOf(string user) => Options.CredentialStore is CredentialStore credentials && credentials.TryGetLastReadable(user, out UserCredentials? entry)
        ? SHA256.HashData(Encoding.UTF8.GetBytes(entry.FormatLine()))[..SessionState.CredentialTagLength]
        : null;

    private bool IsCurrent(Session session)
    {
        lock (_sessionsGate)
        {
            return _sessions.TryGetValue(session.ClientId, out Session? current) && current == session;
        }
    }

    /// <summary>Stops autosaving, waiting for a save under way, then saves once more (at <see cref="StopAsync"/>).</summary>
    private async Task SaveStateAtStopAsync()
    {
        if (_autosave is not null)
        {
            await _autosave.DisposeAsync();
        }
        try
        {
            SaveState();
        }
        finally
        {
            _stateLock?.Dispose();
        }
    }
}
