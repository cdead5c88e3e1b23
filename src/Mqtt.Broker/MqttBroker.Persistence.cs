using Microsoft.Extensions.Logging;

namespace Mqtt.Broker;

public sealed partial class MqttBroker
{
    private readonly Lock _saveGate = new();
    private Timer? _autosave;
    private bool _stateLoaded;

    /// <summary>
    /// Loads the state file, if persistence is on and there is one, before anything listens. A session whose user is no
    /// longer in the credential store is dropped (as a revocation drops it), one whose expiry passed while the broker
    /// was down is gone.
    /// </summary>
    /// <exception cref="StateFileException">The file is corrupt; the broker must not start without what it held.</exception>
    private void LoadState()
    {
        if (Options.PersistenceFile is not string path || !File.Exists(path))
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
                Retained.Set(message);
            }
        }
        int restored = 0;
        foreach (SessionState saved in state.Sessions)
        {
            if (saved.UserName is string user && Options.CredentialStore is CredentialStore credentials && !credentials.TryGet(user, out _))
            {
                Logger.LogInformation("dropped the saved session of {ClientId}: user {User} was removed", AuthAudit.Safe(saved.ClientId), AuthAudit.Safe(user));
                continue;
            }
            Session session = NewSession(saved.ClientId, saved.UserName);
            session.Restore(saved);
            if (session.IsExpired(clock.Ticks))
            {
                continue;
            }
            _sessions[session.ClientId] = session;
            foreach (SavedSubscription subscription in saved.Subscriptions)
            {
                AddSubscription(new SubscriptionEntry(session, subscription.Filter, subscription.Options, subscription.Identifier), out _);
            }
            restored++;
        }
        _stateLoaded = true;
        Logger.LogInformation("loaded {Sessions} sessions and {Retained} retained messages from {Path}", restored, Retained.Count, path);
    }

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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The broker goes on (as Mosquitto's autosave does); the previous file is intact.
            Logger.LogError(e, "could not save the state to {Path}", Options.PersistenceFile);
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
            StateClock clock = StateClock.Now;
            var state = new BrokerState();
            // "#" leaves out topics starting with '$' [MQTT-4.7.2-1], and only the broker publishes those.
            state.Retained.AddRange(Retained.Match("#", clock.Ticks));
            Session[] sessions;
            lock (_sessionsGate)
            {
                sessions = [.. _sessions.Values];
            }
            foreach (Session session in sessions)
            {
                SessionState saved = session.Capture(clock.Ticks);
                if (saved.ExpiryInterval != 0 && !session.HasEnded && !session.IsExpired(clock.Ticks))
                {
                    state.Sessions.Add(saved);
                }
            }
            StateFileWriter.Write(path, state, clock);
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Logger.LogError(e, "could not save the state to {Path}", Options.PersistenceFile);
            throw;
        }
    }
}
