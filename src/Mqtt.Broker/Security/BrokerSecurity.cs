using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mqtt.Codec;
using Mqtt.Security;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Broker;

/// <summary>Settings of <see cref="BrokerSecurity"/>; the defaults are the documented ones (docs/security.md).</summary>
public sealed class BrokerSecurityOptions
{
    /// <summary>The data folder holding <c>credentials</c> and <c>server-secret</c>. Default ./mqttcore-data.</summary>
    public string DataDirectory { get; set; } = "./mqttcore-data";

    /// <summary>Self-registration policy. Default <see cref="RegistrationPolicy.Open"/>.</summary>
    public RegistrationPolicy Registration { get; set; } = RegistrationPolicy.Open;

    /// <summary>Plain CONNECT password policy. Default <see cref="PlainPasswordPolicy.Tls"/>.</summary>
    public PlainPasswordPolicy PlainPasswords { get; set; } = PlainPasswordPolicy.Tls;

    /// <summary>ACL file (docs/security.md); null for the default rules of SECURITY.md section 4.</summary>
    public string? AclFile { get; set; }

    /// <summary>PBKDF2 iterations for verifiers the broker derives (plain registration) and for decoys. Default 4096.</summary>
    public int IterationCount { get; set; } = ScramVerifier.DefaultIterationCount;

    /// <summary>Highest iteration count a client may register (a plain login costs that many PBKDF2 rounds). Default 100,000.</summary>
    public int MaximumRegistrationIterations { get; set; } = 100_000;

    /// <summary>
    /// Self-registration stops (CONNACK 0x97 Quota exceeded) once the credential file holds this many users, so that
    /// open registration cannot grow it without bound; 0 for no bound. `mqttcore user add` is not limited. Default 100,000.
    /// </summary>
    public int MaximumRegisteredUsers { get; set; } = 100_000;

    /// <summary>Guessing limits.</summary>
    public LoginThrottleOptions Throttle { get; set; } = new();
}

/// <summary>
/// Authentication, registration and authorization for a broker (SECURITY.md sections 1 to 4), wired into
/// <see cref="BrokerOptions"/> by <see cref="Configure"/>: SCRAM-SHA-256/512 and <c>MQTTCORE-REGISTER</c> as
/// enhanced methods, plain passwords per policy, the ACL engine, and the credential store whose removed users
/// the broker disconnects.
/// </summary>
public sealed class BrokerSecurity : IDisposable
{
    private long _decoysCreated;
    private int _pendingRegistrations;

    private BrokerSecurity(BrokerSecurityOptions options, ILogger logger)
    {
        Options = options;
        Logger = logger;
        // The ACL first: a malformed file fails before anything is opened or watched.
        Authorizer = options.AclFile is null ? AclAuthorizer.CreateDefault() : AclAuthorizer.Load(options.AclFile);
        Secret = ServerSecret.LoadOrCreate(options.DataDirectory, logger);
        Throttle = new LoginThrottle(options.Throttle);
        Credentials = new CredentialStore(options.DataDirectory, logger);
    }

    /// <summary>The settings in force.</summary>
    public BrokerSecurityOptions Options { get; }

    /// <summary>The credential file.</summary>
    public CredentialStore Credentials { get; }

    /// <summary>The guessing brake.</summary>
    public LoginThrottle Throttle { get; }

    /// <summary>The ACL engine.</summary>
    public AclAuthorizer Authorizer { get; }

    internal ILogger Logger { get; }

    internal byte[] Secret { get; }

    /// <summary>How many SCRAM decoys were made; lets a test check that known names pay for one too.</summary>
    internal long DecoysCreated => Interlocked.Read(ref _decoysCreated);

    /// <summary>The decoy verifier for a name (docs/scram.md), with the iteration count real users get.</summary>
    internal ScramVerifier CreateDecoy(ScramMechanism mechanism, string name)
    {
        Interlocked.Increment(ref _decoysCreated);
        return ScramVerifier.CreateDecoy(mechanism, name, Secret, Options.IterationCount);
    }

    /// <summary>Opens the data folder and ACL file and installs every security hook into <paramref name="broker"/>.</summary>
    /// <param name="broker">The broker options to fill in.</param>
    /// <param name="options">Security settings.</param>
    /// <param name="logger">Where audit lines go.</param>
    /// <returns>The security services, to dispose after the broker stops.</returns>
    /// <exception cref="FormatException">The ACL file is malformed.</exception>
    /// <exception cref="IOException">The data folder or ACL file cannot be read or written.</exception>
    public static BrokerSecurity Configure(BrokerOptions broker, BrokerSecurityOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        var security = new BrokerSecurity(options, logger ?? NullLogger.Instance);
        foreach (ScramMechanism mechanism in (ScramMechanism[])[ScramMechanism.Sha256, ScramMechanism.Sha512])
        {
            broker.EnhancedAuthenticators[mechanism.Name] = new ScramAuthenticator(mechanism, security);
        }

        broker.EnhancedAuthenticators[ScramRegistration.Method] = new ScramRegistrationAuthenticator(security);
        broker.PasswordAuthenticator = new PlainPasswordAuthenticator(security);
        broker.Authorizer = security.Authorizer;
        broker.CredentialStore = security.Credentials;
        return security;
    }

    /// <inheritdoc/>
    public void Dispose() => Credentials.Dispose();

    /// <summary>Counts a failure, writes the audit line, and delays only this answer as the throttle says.</summary>
    internal async ValueTask<AuthenticationResult> RefuseAsync(
        string action, string? user, ClientInfo client, string method, string reason, ReasonCode code, CancellationToken cancellationToken, bool countName = true)
    {
        // A name that cannot exist is counted by address only: keys stay small (at most 64 characters) and no
        // client can fill the throttle's table with 64 KiB names.
        TimeSpan delay = Throttle.RecordFailure(countName && UserName.IsValid(user) ? user : null, client.RemoteEndPoint?.Address);
        AuthAudit.Write(Logger, action, false, user, client, method, reason);
        await DelayAsync(delay, cancellationToken);
        return AuthenticationResult.Fail(code);
    }

    /// <summary>
    /// The end of every registration: stores the user and writes the audit line. A taken name answers 0x86; a
    /// credential file that cannot be written (disk full, not UTF-8) answers 0x88 and is logged as an error.
    /// </summary>
    internal async ValueTask<AuthenticationResult> StoreNewUserAsync(UserCredentials credentials, ClientInfo client, string method, CancellationToken cancellationToken)
    {
        // Both limits are reserved before the add is awaited (and given back if it fails): when they were checked
        // before it and counted after it, any number of concurrent registrations passed together.
        if (!TryReserveUserPlace())
        {
            return UserLimitReached(credentials.Name, client, method);
        }

        IPAddress? address = client.RemoteEndPoint?.Address;
        if (!Throttle.TryReserveRegistration(address))
        {
            ReleaseUserPlace();
            return await TooManyRegistrationsAsync(credentials.Name, client, method, cancellationToken);
        }

        bool added = false;
        try
        {
            added = await Credentials.TryAddAsync(credentials, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The CONNECT timeout (or the shutdown) came while the credential file was locked by another writer.
            AuthAudit.Write(Logger, AuthAudit.RegisterAction, false, credentials.Name, client, method, "not finished within the CONNECT timeout");
            return AuthenticationResult.Fail(ReasonCode.NotAuthorized);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Logger.LogError("registration failed: the credential file could not be written: {Error}", e.Message);
            AuthAudit.Write(Logger, AuthAudit.RegisterAction, false, credentials.Name, client, method, "credential file not writable");
            return AuthenticationResult.Fail(ReasonCode.ServerUnavailable);
        }
        finally
        {
            // An added user is in Credentials.Count by now, so its place is counted there instead.
            ReleaseUserPlace();
            if (!added)
            {
                Throttle.ReleaseRegistration(address);
            }
        }

        if (!added)
        {
            return await RefuseAsync(AuthAudit.RegisterAction, credentials.Name, client, method, "name taken", ReasonCode.BadUserNameOrPassword, cancellationToken, countName: false);
        }

        AuthAudit.Write(Logger, AuthAudit.RegisterAction, true, credentials.Name, client, method, "registered");
        return AuthenticationResult.SucceedFromStore(credentials);
    }

    /// <summary>
    /// The answer to a registration the limits refuse whatever its name and password, or null when it may go on: asked
    /// before a plain password's verifiers are derived (two PBKDF2 runs, milliseconds of CPU), which a client past its
    /// registrations could otherwise have the broker do for nothing, hundreds of times a second.
    /// <see cref="StoreNewUserAsync"/> still reserves both limits.
    /// </summary>
    internal async ValueTask<AuthenticationResult?> RefuseOverRegistrationLimitsAsync(string? userName, ClientInfo client, string method, CancellationToken cancellationToken)
    {
        if (Options.MaximumRegisteredUsers > 0 && Credentials.Count >= Options.MaximumRegisteredUsers)
        {
            return UserLimitReached(userName, client, method);
        }

        return Throttle.HasUsedUpRegistrations(client.RemoteEndPoint?.Address)
            ? await TooManyRegistrationsAsync(userName, client, method, cancellationToken)
            : null;
    }

    private AuthenticationResult UserLimitReached(string? userName, ClientInfo client, string method)
    {
        AuthAudit.Write(Logger, AuthAudit.RegisterAction, false, userName, client, method, "user limit reached");
        return AuthenticationResult.Fail(ReasonCode.QuotaExceeded);
    }

    /// <summary>An address past its registrations: answered 0x9F after the longest delay, as a lockout.</summary>
    private async ValueTask<AuthenticationResult> TooManyRegistrationsAsync(string? userName, ClientInfo client, string method, CancellationToken cancellationToken)
    {
        AuthAudit.Write(Logger, AuthAudit.RegisterAction, false, userName, client, method, "too many registrations from this address");
        await DelayAsync(Throttle.Options.MaximumDelay, cancellationToken);
        return AuthenticationResult.Fail(ReasonCode.ConnectionRateExceeded);
    }

    /// <summary>A locked-out name or address: answered after the longest delay, with 0x9F, unchecked.</summary>
    internal async ValueTask<AuthenticationResult> LockedOutAsync(string action, string? user, ClientInfo client, string method, CancellationToken cancellationToken)
    {
        AuthAudit.Write(Logger, action, false, user, client, method, "locked out (too many failures)");
        await DelayAsync(Throttle.Options.MaximumDelay, cancellationToken);
        return AuthenticationResult.Fail(ReasonCode.ConnectionRateExceeded);
    }

    /// <summary>
    /// Takes a place under <see cref="BrokerSecurityOptions.MaximumRegisteredUsers"/>. Counting itself as pending
    /// before reading the count is what makes this safe without a lock: of two concurrent registrations, the later to
    /// count itself sees the other, as pending or (once its add is done) in <see cref="CredentialStore.Count"/>.
    /// </summary>
    private bool TryReserveUserPlace()
    {
        int pending = Interlocked.Increment(ref _pendingRegistrations);
        if (Options.MaximumRegisteredUsers > 0 && Credentials.Count + pending > Options.MaximumRegisteredUsers)
        {
            Interlocked.Decrement(ref _pendingRegistrations);
            return false;
        }

        return true;
    }

    private void ReleaseUserPlace() => Interlocked.Decrement(ref _pendingRegistrations);

    private static async ValueTask DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
