using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Mqtt.Broker;

/// <summary>Limits of <see cref="LoginThrottle"/>; the defaults are the documented ones (docs/security.md).</summary>
public sealed class LoginThrottleOptions
{
    /// <summary>Failures per key answered without delay (typos). Default 3.</summary>
    public int FreeFailures { get; set; } = 3;

    /// <summary>Delay after the first failure past the free ones; it doubles with each further failure. Default 250 ms.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap on the delay, also the delay of an answer to a locked-out attempt. Default 4 s.</summary>
    public TimeSpan MaximumDelay { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Failures for one user name that lock the name out. Default 10.</summary>
    public int UserLockoutThreshold { get; set; } = 10;

    /// <summary>Failures from one address that lock the address out. Default 50.</summary>
    public int AddressLockoutThreshold { get; set; } = 50;

    /// <summary>How long a lockout lasts; each failure after it ends locks again. Default 5 minutes.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A key with no failure for this long starts from zero. Default 15 minutes.</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Users one address may register before it may register no more for <see cref="LockoutDuration"/>; the count
    /// starts again after <see cref="ForgetAfter"/> without a registration. 0 for no bound. Default 10.
    /// </summary>
    public int RegistrationsPerAddress { get; set; } = 10;

    /// <summary>
    /// How long an address the user logged in from stays exempt from the lockout of that user's name (not from the
    /// address's own lockout): guesses from elsewhere must not lock the user out of where they work. Default 7 days.
    /// </summary>
    public TimeSpan TrustedAddressLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most keys tracked; past it, old keys are dropped first. Default 100,000.</summary>
    public int MaximumTrackedKeys { get; set; } = 100_000;
}

/// <summary>
/// Online-guessing brake (SECURITY.md section 3), per user name and per source address: after a few free failures
/// each failing answer is delayed exponentially, and past a threshold the key is locked out for a while. Only the
/// failing connection waits (the caller awaits the returned delay); nothing here holds a lock across a delay, so
/// other users keep logging in. Unknown and existing names are counted alike, so lockouts reveal nothing.
/// </summary>
public sealed class LoginThrottle
{
    private readonly ConcurrentDictionary<string, Counter> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPAddress, Counter> _addresses = new();
    private readonly ConcurrentDictionary<IPAddress, Counter> _registrations = new();
    private readonly ConcurrentDictionary<(string User, IPAddress Address), long> _trusted = new();
    private readonly TimeProvider _time;
    private int _sinceSweep;

    /// <summary>Creates a throttle.</summary>
    /// <param name="options">Limits; null for the defaults.</param>
    /// <param name="time">Clock, for tests; null for the system clock.</param>
    public LoginThrottle(LoginThrottleOptions? options = null, TimeProvider? time = null)
    {
        Options = options ?? new LoginThrottleOptions();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The limits in force.</summary>
    public LoginThrottleOptions Options { get; }

    /// <summary>
    /// True while the name or the address is locked out; such attempts are refused without being checked. A name's
    /// lockout does not apply from an address that user logged in from lately (<see cref="LoginThrottleOptions.TrustedAddressLifetime"/>).
    /// </summary>
    /// <param name="userName">The user name tried, if known yet.</param>
    /// <param name="address">The client's address, if known.</param>
    /// <returns>True when the attempt must be refused.</returns>
    public bool IsLockedOut(string? userName, IPAddress? address)
    {
        long now = _time.GetTimestamp();
        IPAddress? a = Normalize(address);
        return (userName is not null && _users.TryGetValue(userName, out Counter? user) && user.IsLocked(now) && !IsTrusted(userName, a, now))
            || (a is not null && _addresses.TryGetValue(a, out Counter? source) && source.IsLocked(now));
    }

    /// <summary>Counts a failure and says how long to delay the failing answer.</summary>
    /// <param name="userName">The user name tried, if known.</param>
    /// <param name="address">The client's address, if known.</param>
    /// <returns>The delay for this answer (zero for the first few failures).</returns>
    public TimeSpan RecordFailure(string? userName, IPAddress? address)
    {
        long now = _time.GetTimestamp();
        TimeSpan delay = TimeSpan.Zero;
        if (userName is not null)
        {
            delay = Max(delay, Fail(_users, userName, Options.UserLockoutThreshold, now));
        }

        if (Normalize(address) is IPAddress a)
        {
            delay = Max(delay, Fail(_addresses, a, Options.AddressLockoutThreshold, now));
        }

        SweepNowAndThen(now);
        return delay;
    }

    /// <summary>
    /// Takes one of the registrations an address may make (one client must not fill the user limit or take names by
    /// the thousand; successful registrations are no failures, so the guessing brake never sees them). The check and
    /// the count are one locked step, so concurrent registrations cannot all pass a check made before any is counted.
    /// </summary>
    /// <param name="address">The client's address, if known.</param>
    /// <returns>False when the address has registered too many users lately and the registration must be refused.</returns>
    public bool TryReserveRegistration(IPAddress? address)
    {
        if (Options.RegistrationsPerAddress <= 0 || Normalize(address) is not IPAddress a)
        {
            return true;
        }

        long now = _time.GetTimestamp();
        bool reserved = _registrations.GetOrAdd(a, static _ => new Counter()).TryCount(now, this, Options.RegistrationsPerAddress);
        SweepNowAndThen(now);
        return reserved;
    }

    /// <summary>True while the address has used up its registrations: a check without reserving anything.</summary>
    /// <param name="address">The client's address, if known.</param>
    public bool HasUsedUpRegistrations(IPAddress? address) =>
        Options.RegistrationsPerAddress > 0 && Normalize(address) is IPAddress a
        && _registrations.TryGetValue(a, out Counter? counter) && counter.IsLocked(_time.GetTimestamp());

    /// <summary>Gives back a reservation whose registration failed (name taken, file not writable, cancelled).</summary>
    /// <param name="address">The address given to <see cref="TryReserveRegistration"/>.</param>
    public void ReleaseRegistration(IPAddress? address)
    {
        if (Options.RegistrationsPerAddress > 0 && Normalize(address) is IPAddress a && _registrations.TryGetValue(a, out Counter? counter))
        {
            counter.Uncount(Options.RegistrationsPerAddress);
        }
    }

    /// <summary>
    /// A successful login clears the name's count of typos (not the address's: one good account must not reset a
    /// guesser), and exempts the address from that name's lockouts for a while. A count that reached the lockout
    /// stays until forgotten (<see cref="LoginThrottleOptions.ForgetAfter"/>): the user logs in from a trusted address
    /// through it, and clearing it then would hand whoever earned it a fresh threshold of guesses each time.
    /// </summary>
    /// <param name="userName">The user who logged in.</param>
    /// <param name="address">Where from, if known.</param>
    public void RecordSuccess(string userName, IPAddress? address = null)
    {
        long now = _time.GetTimestamp();
        if (_users.TryGetValue(userName, out Counter? counter) && !counter.ReachedLockout(now, this, Options.UserLockoutThreshold))
        {
            _users.TryRemove(new KeyValuePair<string, Counter>(userName, counter));
        }
        if (Normalize(address) is IPAddress a)
        {
            _trusted[(userName, a)] = now;
            SweepNowAndThen(now);
        }
    }

    private bool IsTrusted(string userName, IPAddress? address, long now) =>
        address is not null && _trusted.TryGetValue((userName, address), out long since)
        && _time.GetElapsedTime(since, now) < Options.TrustedAddressLifetime;

    private TimeSpan Fail<TKey>(ConcurrentDictionary<TKey, Counter> counters, TKey key, int lockoutThreshold, long now)
        where TKey : notnull
    {
        Counter counter = counters.GetOrAdd(key, static _ => new Counter());
        int failures = counter.Fail(now, this, lockoutThreshold);
        return DelayFor(failures);
    }

    private TimeSpan DelayFor(int failures)
    {
        int past = failures - Options.FreeFailures;
        if (past <= 0)
        {
            return TimeSpan.Zero;
        }

        double ms = Options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(past - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, Options.MaximumDelay.TotalMilliseconds));
    }

    private void SweepNowAndThen(long now)
    {
        if (Interlocked.Increment(ref _sinceSweep) >= 1024)
        {
            _sinceSweep = 0;
            Prune(_users, now);
            Prune(_addresses, now);
            Prune(_registrations, now);
            PruneTrusted(now);
        }
    }

    private void Prune<TKey>(ConcurrentDictionary<TKey, Counter> counters, long now)
        where TKey : notnull
    {
        bool full = counters.Count > Options.MaximumTrackedKeys;
        foreach (KeyValuePair<TKey, Counter> pair in counters)
        {
            if (pair.Value.IsForgotten(now, this) || (full && !pair.Value.IsLocked(now)))
            {
                counters.TryRemove(pair);
            }
        }
    }

    private void PruneTrusted(long now)
    {
        // Over the bound every exemption goes (users log in again and earn it back): simpler than finding the oldest.
        bool full = _trusted.Count > Options.MaximumTrackedKeys;
        foreach (KeyValuePair<(string, IPAddress), long> pair in _trusted)
        {
            if (full || _time.GetElapsedTime(pair.Value, now) >= Options.TrustedAddressLifetime)
            {
                _trusted.TryRemove(pair);
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>
    /// The key of an address: IPv4-mapped addresses count as IPv4, IPv6 ones by their /64, since an end site is
    /// normally given a whole /64 and one client would otherwise have 2^64 fresh keys.
    /// </summary>
    private static IPAddress? Normalize(IPAddress? address)
    {
        if (address is null || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>Failures (or registrations) of one key; its own small lock is held only to update two numbers.</summary>
    private sealed class Counter
    {
        private readonly Lock _gate = new();
        private int _failures;
        private long _lastFailure;
        private long _lockedUntil;

        public int Fail(long now, LoginThrottle owner, int lockoutThreshold)
        {
            lock (_gate)
            {
                return Count(now, owner, lockoutThreshold);
            }
        }

        /// <summary>Counts one more unless locked, in one step: of concurrent callers only the threshold's worth pass.</summary>
        public bool TryCount(long now, LoginThrottle owner, int lockoutThreshold)
        {
            lock (_gate)
            {
                if (IsLocked(now))
                {
                    return false;
                }

                Count(now, owner, lockoutThreshold);
                return true;
            }
        }

        /// <summary>
        /// Takes one count back. A lock is set only when the count reaches the threshold, and TryCount counts nothing
        /// while it lasts, so a count below the threshold again means the lock was this count's and goes too.
        /// </summary>
        public void Uncount(int lockoutThreshold)
        {
            lock (_gate)
            {
                if (_failures > 0)
                {
                    _failures--;
                }

                if (_failures < lockoutThreshold)
                {
                    _lockedUntil = 0;
                }
            }
        }

        public bool IsLocked(long now) => now < Volatile.Read(ref _lockedUntil);

        /// <summary>True when the failures not yet forgotten reached the lockout threshold.</summary>
        public bool ReachedLockout(long now, LoginThrottle owner, int lockoutThreshold)
        {
            lock (_gate)
            {
                return _failures >= lockoutThreshold && owner._time.GetElapsedTime(_lastFailure, now) <= owner.Options.ForgetAfter;
            }
        }

        public bool IsForgotten(long now, LoginThrottle owner)
        {
            lock (_gate)
            {
                return !IsLocked(now) && owner._time.GetElapsedTime(_lastFailure, now) > owner.Options.ForgetAfter;
            }
        }

        /// <summary>Called holding <see cref="_gate"/>.</summary>
        private int Count(long now, LoginThrottle owner, int lockoutThreshold)
        {
            if (owner._time.GetElapsedTime(_lastFailure, now) > owner.Options.ForgetAfter)
            {
                _failures = 0;
            }

            _failures++;
            _lastFailure = now;
            if (_failures >= lockoutThreshold)
            {
                _lockedUntil = now + (long)(owner.Options.LockoutDuration.TotalSeconds * owner._time.TimestampFrequency);
            }

            return _failures;
        }
    }
}
