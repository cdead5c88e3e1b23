using System.Buffers;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Broker;

internal sealed partial class MqttConnection
{
    private volatile bool _connected;
    private bool _takenOver;
    private bool _takenOverBeforeConnAck;
    private bool _sessionEnded;
    private bool _normalDisconnect;
    private bool _willDecided;
    private ushort _keepAlive;
    private Session? _session;
    private ConnectState? _connect;
    private IAuthenticationExchange? _exchange;
    private int _connectAnswered;
    private CancellationTokenSource? _authentication;

    /// <summary>CONNECT, then AUTH rounds until CONNACK [MQTT-3.1.0-1] [MQTT-4.12.0-1].</summary>
    private async ValueTask<bool> HandleBeforeConnackAsync(MqttFrame frame)
    {
        if (_connect is null)
        {
            if (frame.Type != PacketType.Connect)
            {
                // [MQTT-3.1.0-1] the first packet must be CONNECT; anything else just closes.
                _transport.Abort();
                return false;
            }
            if (!ConnectPacket.TryRead(frame, out ConnectPacket connect, out DecodeError error))
            {
                Version = PeekVersion(frame);
                Logger.LogInformation("refusing CONNECT from {Remote}: {Error}", Client.RemoteEndPoint, error.ToString());
                await RefuseConnectAsync(error.ReasonCode);
                return false;
            }
            Version = connect.Version;
            _connect = ConnectState.From(connect);
            ClientMaximumPacketSize = _connect.MaximumPacketSize ?? ClientMaximumPacketSize;
            return await AuthenticateAsync(DataOf(connect.Properties));
        }
        if (frame.Type == PacketType.Disconnect && _exchange is not null)
        {
            return await AbandonExchangeAsync(frame);
        }
        if (frame.Type != PacketType.Auth || _exchange is null)
        {
            await RefuseConnectAsync(ReasonCode.ProtocolError);
            return false;
        }
        if (!AuthPacket.TryRead(frame, Version, out AuthPacket auth, out DecodeError authError))
        {
            await RefuseConnectAsync(authError.ReasonCode);
            return false;
        }
        if (auth.ReasonCode != ReasonCode.ContinueAuthentication || !IsMethod(auth.Properties, _connect.AuthenticationMethod))
        {
            // [MQTT-4.12.0-5] the method may not change within an exchange.
            await RefuseConnectAsync(ReasonCode.ProtocolError);
            return false;
        }
        return await StepAsync(DataOf(auth.Properties));
    }

    /// <summary>
    /// [MQTT-3.1.2-30] a client in an authentication exchange may send DISCONNECT instead of AUTH: it gives up, and the
    /// connection closes with no CONNACK (a malformed DISCONNECT is refused as any malformed packet).
    /// </summary>
    private async ValueTask<bool> AbandonExchangeAsync(MqttFrame frame)
    {
        if (!DisconnectPacket.TryRead(frame, Version, out _, out DecodeError error))
        {
            await RefuseConnectAsync(error.ReasonCode);
            return false;
        }
        if (ClaimConnectAnswer())
        {
            AuditUnfinishedExchange("abandoned by the client (DISCONNECT)");
        }
        return false;
    }

    /// <summary>The audit line of a login or registration whose exchange ended without an outcome (the client gave up, or the timeout came).</summary>
    private void AuditUnfinishedExchange(string reason) =>
        AuthAudit.Write(Logger, _exchange?.AuditAction ?? AuthAudit.LoginAction, false,
            _exchange?.ClaimedUserName ?? _connect?.UserName, Client with { ClientId = _connect?.ClientId ?? "" },
            _connect?.AuthenticationMethod ?? "-", reason);

    private async ValueTask<bool> AuthenticateAsync(ReadOnlyMemory<byte> authenticationData)
    {
        ConnectState connect = _connect!;
        var client = Client with { ClientId = connect.ClientId };
        if (connect.AuthenticationMethod is string method)
        {
            if (!Options.EnhancedAuthenticators.TryGetValue(method, out IEnhancedAuthenticator? authenticator))
            {
                await RefuseConnectAsync(ReasonCode.BadAuthenticationMethod);
                return false;
            }
            _exchange = authenticator.Start(client, connect.UserName);
            return await StepAsync(authenticationData);
        }
        AuthenticationResult result;
        if (Options.PasswordAuthenticator is IPasswordAuthenticator passwords && (connect.UserName is not null || connect.Password is not null))
        {
            result = connect.RegistrationRequested
                ? await passwords.RegisterAsync(client, connect.UserName, connect.Password, AuthenticationToken())
                : await passwords.AuthenticateAsync(client, connect.UserName, connect.Password, AuthenticationToken());
        }
        else if (Options.AllowAnonymous)
        {
            result = AuthenticationResult.Succeed(connect.UserName);
        }
        else
        {
            result = AuthenticationResult.Fail(connect.UserName is null ? ReasonCode.NotAuthorized : ReasonCode.BadUserNameOrPassword);
        }
        return await FinishAuthenticationAsync(result);
    }

    /// <summary>
    /// Why the Will cannot be accepted, or null: a topic over the level limit, or one the client may not publish to.
    /// The Will is a publish made later in the client's name, so it is authorized now, as Mosquitto does.
    /// </summary>
    private async ValueTask<ReasonCode?> RefusedWillAsync(ApplicationMessage will, AuthenticationResult result)
    {
        if (HasTooManyLevels(will.Topic))
        {
            return Version == ProtocolVersion.V500 ? ReasonCode.TopicNameInvalid : ReasonCode.NotAuthorized;
        }
        ClientInfo client = Client with { ClientId = _connect!.ClientId, UserName = result.UserName ?? _connect.UserName };
        return await Options.Authorizer.CanPublishAsync(client, will.Topic) ? null : ReasonCode.NotAuthorized;
    }

    private async ValueTask<bool> StepAsync(ReadOnlyMemory<byte> clientData)
    {
        AuthenticationResult result = await _exchange!.StepAsync(clientData, AuthenticationToken());
        if (result.Status == AuthenticationStatus.Continue)
        {
            if (!TrySendAuth(ReasonCode.ContinueAuthentication, result.Data))
            {
                await RefuseConnectAsync(ReasonCode.PacketTooLarge);
                return false;
            }
            return true;
        }
        return await FinishAuthenticationAsync(result);
    }

    /// <summary>
    /// The token authenticators get before the CONNACK: cancelled when the CONNECT timeout answers and when the connection
    /// is closed (a takeover, the shutdown), so that a registration still waiting for the credential file then gives up
    /// rather than create an account the timeout refused. One per connection, made on first use, neither linked nor timed:
    /// nothing to dispose, no timer per AUTH step.
    /// </summary>
    private CancellationToken AuthenticationToken()
    {
        if (_authentication is null)
        {
            // Published with a full fence, then the claim and the close read: a CONNECT timeout claiming the answer, or
            // a close (the shutdown), meanwhile either sees this source (and cancels it) or is seen here.
            Interlocked.CompareExchange(ref _authentication, new CancellationTokenSource(), null);
            if (Volatile.Read(ref _connectAnswered) != 0 || _closing)
            {
                _authentication.Cancel();
            }
        }
        return _authentication.Token;
    }

    /// <summary>Ends an authentication in progress (see <see cref="AuthenticationToken"/>); its callbacks run on the thread pool.</summary>
    private void CancelAuthentication() => _ = Volatile.Read(ref _authentication)?.CancelAsync();

    /// <summary>
    /// Who answers a CONNECT: its outcome (CONNACK or a refusal) or the CONNECT timeout (0x87 for an unfinished
    /// exchange, else a close), whichever comes first. An outcome arriving after the timeout answered must not go on
    /// to claim a session (taking it over from its live owner) on a connection that is closing.
    /// </summary>
    private bool ClaimConnectAnswer() => Interlocked.Exchange(ref _connectAnswered, 1) == 0;

    private async ValueTask<bool> FinishAuthenticationAsync(AuthenticationResult result)
    {
        if (!ClaimConnectAnswer())
        {
            // Refused by the CONNECT timeout meanwhile (audited there); a success the authenticator reported is void.
            // The read loop lingers rather than ends, so the timeout's CONNACK, perhaps not queued yet, still goes out.
            Logger.LogInformation("auth outcome for {Client} came after the CONNECT timeout refused it: ignored", AuthAudit.Safe(_connect?.ClientId));
            _closing = _lingering = true;
            return false;
        }
        ConnectState connect = _connect!;
        // A login against the credential store has its audit line already (one line per login, as Mosquitto's).
        if (!result.FromCredentialStore && Logger.IsEnabled(LogLevel.Information))
        {
            string method = connect.AuthenticationMethod ?? (connect.UserName is null && connect.Password is null ? "anonymous" : "password");
            Logger.LogInformation("auth {Outcome}: user={User} client={Client} remote={Remote} method={Method}",
                result.Status == AuthenticationStatus.Success ? "success" : $"failure 0x{(byte)result.ReasonCode:X2}",
                AuthAudit.Safe(result.UserName ?? connect.UserName), connect.ClientId.Length == 0 ? "(to be assigned)" : AuthAudit.Safe(connect.ClientId), Client.RemoteEndPoint, method);
        }
        if (result.Status != AuthenticationStatus.Success)
        {
            await RefuseConnectAsync(result.ReasonCode);
            return false;
        }
        if (connect.ClientId.Length == 0 && (Version == ProtocolVersion.V310 || !connect.CleanStart && Version == ProtocolVersion.V311))
        {
            // [MQTT-3.1.3-8] (3.1.1) an empty Client Identifier needs Clean Session; 3.1 has none (as Mosquitto refuses it).
            await RefuseConnectAsync(ReasonCode.ClientIdentifierNotValid);
            return false;
        }
        if (Version != ProtocolVersion.V500 && Options.MaximumKeepAlive > 0 && (connect.KeepAlive == 0 || connect.KeepAlive > Options.MaximumKeepAlive))
        {
            // 3.1 and 3.1.1 cannot be told a Server Keep Alive: refused with return code 2 (Identifier rejected), as Mosquitto does.
            await RefuseConnectAsync(ReasonCode.ClientIdentifierNotValid);
            return false;
        }
        if (connect.Will is ApplicationMessage will && await RefusedWillAsync(will, result) is ReasonCode willRefused)
        {
            await RefuseConnectAsync(willRefused);
            return false;
        }
        if (_closing)
        {
            return false; // closed meanwhile (the CONNECT timeout while the Will's check ran, the shutdown): claim nothing
        }
        switch (CompleteConnect(connect, result))
        {
            case ConnectOutcome.ClientIdInUse:
                Logger.LogInformation("refusing CONNECT from {Remote}: client id in use by another user", Client.RemoteEndPoint);
                await RefuseConnectAsync(ReasonCode.NotAuthorized);
                return false;
            case ConnectOutcome.UserRemoved:
                AuthAudit.Write(Logger, "login", false, Client.UserName, Client, connect.AuthenticationMethod ?? "password", "user removed or given new credentials during the login");
                await RefuseConnectAsync(ReasonCode.BadUserNameOrPassword);
                return false;
            case ConnectOutcome.ConnAckTooLarge:
                await RefuseConnectAsync(ReasonCode.PacketTooLarge);
                return false;
            case ConnectOutcome.TakenOver:
                // Another CONNECT took the session between our claim and our CONNACK: the client sees what it would
                // have seen had it come a moment earlier, its CONNACK and then DISCONNECT 0x8E [MQTT-3.1.4-3].
                await CloseFromReadLoopAsync(ReasonCode.SessionTakenOver);
                return false;
            default:
                return true;
        }
    }

    private enum ConnectOutcome
    {
        Connected,
        ClientIdInUse,
        UserRemoved,
        ConnAckTooLarge,
        TakenOver,
    }

    private ConnectOutcome CompleteConnect(ConnectState connect, AuthenticationResult result)
    {
        bool assigned = connect.ClientId.Length == 0;
        string clientId = assigned ? "auto-" + Guid.NewGuid().ToString("N") : connect.ClientId;
        Client = Client with { ClientId = clientId, UserName = result.UserName ?? connect.UserName };
        FlightWindow = Math.Min(connect.ReceiveMaximum, Options.MaximumInflightMessages);
        ClientTopicAliasMaximum = connect.TopicAliasMaximum;
        _keepAlive = connect.KeepAlive;
        bool capKeepAlive = Options.MaximumKeepAlive > 0 && Version == ProtocolVersion.V500
            && (_keepAlive == 0 || _keepAlive > Options.MaximumKeepAlive);
        if (capKeepAlive)
        {
            _keepAlive = Options.MaximumKeepAlive;
        }
        uint sessionExpiry = Options.CapSessionExpiry(connect.SessionExpiry);
        var properties = new MqttProperties();
        if (Version == ProtocolVersion.V500)
        {
            properties.ReceiveMaximum = Options.ReceiveMaximum;
            properties.MaximumPacketSize = (uint)Options.MaximumPacketSize;
            properties.TopicAliasMaximum = Options.TopicAliasMaximum;
            properties.AssignedClientIdentifier = assigned ? MqttUtf8.Encode(clientId) : null;
            properties.ServerKeepAlive = capKeepAlive ? _keepAlive : null;
            properties.SessionExpiryInterval = sessionExpiry != connect.SessionExpiry ? sessionExpiry : null;
            properties.AuthenticationMethod = connect.AuthenticationMethod is string m ? MqttUtf8.Encode(m) : null;
            properties.AuthenticationData = result.Data.IsEmpty ? null : new ReadOnlySequence<byte>(result.Data);
        }
        // Checked before the session is claimed: a client whose Maximum Packet Size cannot take it is refused [MQTT-3.1.2-24].
        if (!FitsClient(new ConnAckPacket { Properties = properties }))
        {
            return ConnectOutcome.ConnAckTooLarge;
        }
        (Session? attached, bool present, bool userRemoved) = _broker.AttachSession(this, clientId, Client.UserName, connect.CleanStart,
            sessionExpiry, result.StoreEntry);
        if (attached is not Session session)
        {
            return userRemoved ? ConnectOutcome.UserRemoved : ConnectOutcome.ClientIdInUse;
        }
        _session = session;
        var connAck = new ConnAckPacket { SessionPresent = present, ReasonCode = ReasonCode.Success, Properties = properties };
        lock (_broker.SessionsGate)
        {
            // Under the lock a takeover marks the connection it replaces with: one before this point left the close
            // to us (MarkTakenOver), one after it finds us connected and closes us with DISCONNECT 0x8E itself.
            EnqueueEncoded(connAck);
            _connected = true;
            if (_takenOverBeforeConnAck)
            {
                return ConnectOutcome.TakenOver;
            }
        }
        session.Attach(this);
        return ConnectOutcome.Connected;
    }

    /// <summary>AUTH 0x19 on a live connection runs the method again; failure disconnects with 0x87 (4.12.1).</summary>
    private async ValueTask<bool> HandleReauthenticationAsync(MqttFrame frame)
    {
        if (!AuthPacket.TryRead(frame, Version, out AuthPacket auth, out DecodeError error))
        {
            await FailAsync(error);
            return false;
        }
        string? method = _connect?.AuthenticationMethod;
        // A client sends 0x19 to start and 0x18 to go on; 0x00 is the server's alone (4.12.1).
        ReasonCode expected = _exchange is not null && _reauthenticating ? ReasonCode.ContinueAuthentication : ReasonCode.ReAuthenticate;
        if (method is null || !IsMethod(auth.Properties, method) || auth.ReasonCode != expected)
        {
            await CloseFromReadLoopAsync(ReasonCode.ProtocolError, method is null
                ? "[MQTT-4.12.0-7] AUTH on a connection whose CONNECT had no Authentication Method"
                : !IsMethod(auth.Properties, method)
                    ? "[MQTT-4.12.1-1] AUTH without the CONNECT's Authentication Method"
                    : $"AUTH with Reason Code 0x{(byte)auth.ReasonCode:X2} where 0x{(byte)expected:X2} was expected (4.12)");
            return false;
        }
        if (auth.ReasonCode == ReasonCode.ReAuthenticate)
        {
            IEnhancedAuthenticator authenticator = Options.EnhancedAuthenticators[method];
            if (!authenticator.CanReauthenticate)
            {
                Logger.LogInformation("re-authentication refused: {Method} cannot re-authenticate; user={User} client={Client}",
                    method, AuthAudit.Safe(Client.UserName), AuthAudit.Safe(Client.ClientId));
                await CloseFromReadLoopAsync(ReasonCode.NotAuthorized);
                return false;
            }
            _exchange = authenticator.Start(Client, Client.UserName);
            _reauthenticating = true;
        }
        AuthenticationResult result = await _exchange!.StepAsync(DataOf(auth.Properties), _broker.Stopping);
        bool done = result.Status == AuthenticationStatus.Success;
        // A re-authentication may not make the connection someone else's.
        bool refused = result.Status is not (AuthenticationStatus.Continue or AuthenticationStatus.Success)
            || done && result.UserName is not null && result.UserName != Client.UserName;
        if (refused)
        {
            Logger.LogInformation("re-authentication failed: user={User} client={Client}", AuthAudit.Safe(Client.UserName), AuthAudit.Safe(Client.ClientId));
            await CloseFromReadLoopAsync(ReasonCode.NotAuthorized);
            return false;
        }
        _reauthenticating = !done;
        if (!TrySendAuth(done ? ReasonCode.Success : ReasonCode.ContinueAuthentication, result.Data))
        {
            await CloseFromReadLoopAsync(ReasonCode.PacketTooLarge);
            return false;
        }
        return true;
    }

    private bool _reauthenticating;

    /// <summary>Queues an AUTH; false when the client's Maximum Packet Size cannot take it [MQTT-3.1.2-24].</summary>
    private bool TrySendAuth(ReasonCode reason, ReadOnlyMemory<byte> data)
    {
        var properties = new MqttProperties
        {
            AuthenticationMethod = MqttUtf8.Encode(_connect!.AuthenticationMethod!),
            AuthenticationData = data.IsEmpty ? null : new ReadOnlySequence<byte>(data),
        };
        var auth = new AuthPacket { ReasonCode = reason, Properties = properties };
        return FitsClient(auth) && EnqueueEncoded(auth);
    }

    /// <summary>
    /// Refuses before CONNACK: an MQTT 5 client gets CONNACK with the reason [MQTT-3.2.2-6]; a 3.1.1 client
    /// a return code where one exists; then the connection closes [MQTT-3.2.2-7].
    /// </summary>
    private async Task RefuseConnectAsync(ReasonCode reason)
    {
        // This is the CONNECT's answer: a CONNECT timeout firing now finds it given (no second refusal, no audit line
        // saying the exchange never finished). The timeout's own refusal claimed it already; that result is ignored.
        ClaimConnectAnswer();
        if (Version == ProtocolVersion.V500 && !ReasonCodes.IsValidFor(PacketType.ConnAck, reason))
        {
            reason = ReasonCode.UnspecifiedError;
        }
        var connAck = new ConnAckPacket { ReasonCode = reason };
        // 3.1.1 return code 3 means Server unavailable; ToReturnCode also uses it as a catch-all, which is no answer.
        if (Version == ProtocolVersion.V500 || ConnAckPacket.ToReturnCode(reason) is 1 or 2 or 4 or 5
            || reason is ReasonCode.ServerUnavailable or ReasonCode.ServerBusy)
        {
            _closing = _lingering = true;
            EnqueueEncoded(connAck);
        }
        await FlushAndCloseAsync();
    }

    /// <summary>
    /// A first packet the frame reader refused (over the maximum size, a bad length or flags): a CONNECT is answered in
    /// its own version where the bytes read so far show it (3.1.1 has no return code for these, so it is just closed),
    /// else as MQTT 5; anything else is closed without an answer [MQTT-3.1.0-1].
    /// </summary>
    private async Task RefuseFirstFrameAsync(ReadOnlySequence<byte> input, DecodeError error)
    {
        Logger.LogInformation("refusing first packet from {Remote}: {Error}", Client.RemoteEndPoint, error.ToString());
        var reader = new SequenceReader<byte>(input);
        if (!reader.TryRead(out byte header) || header >> 4 != (int)PacketType.Connect)
        {
            _transport.Abort();
            return;
        }
        Version = VariableByteInteger.TryRead(ref reader, out _) == DecodeStatus.Complete
            ? PeekVersion(input.Slice(reader.Position)) ?? ProtocolVersion.V500
            : ProtocolVersion.V500;
        await RefuseConnectAsync(error.ReasonCode);
    }

    /// <summary>The Protocol Version byte of a CONNECT that failed to decode, to answer in its version.</summary>
    private static ProtocolVersion PeekVersion(in MqttFrame frame) => PeekVersion(frame.Body) ?? ProtocolVersion.V311;

    /// <summary>MQTT 5 for level 5, 3.1.1 for any other; null when the body does not reach the level byte.</summary>
    private static ProtocolVersion? PeekVersion(ReadOnlySequence<byte> body)
    {
        // The level follows the length-prefixed Protocol Name; "MQTT" holds two 'T's, so skip by the length.
        var reader = new SequenceReader<byte>(body);
        if (!reader.TryReadBigEndian(out short nameLength) || nameLength < 0 || reader.Remaining <= nameLength)
        {
            return null;
        }
        reader.Advance(nameLength);
        return reader.TryRead(out byte level) && level == 5 ? ProtocolVersion.V500 : ProtocolVersion.V311;
    }

    private static ReadOnlyMemory<byte> DataOf(in MqttProperties properties) =>
        properties.AuthenticationData is { } data ? data.ToArray() : default;

    private static bool IsMethod(in MqttProperties properties, string? method) =>
        properties.AuthenticationMethod is { } m && method is not null && MqttUtf8.GetString(m) == method;

    /// <summary>
    /// Once the connection has ended (the read loop is over, or we closed it with a last packet and no handler is
    /// running): publish the Will unless the client said goodbye [MQTT-3.1.2-8], detach the session. Once only.
    /// </summary>
    private void SettleSession()
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return;
        }
        Session? session = _session;
        if (session is null)
        {
            return;
        }
        if (_connect!.Will is not null)
        {
            ApplicationMessage? publishNow;
            // Only a Will needs the broker-wide lock (most connections have none): a takeover or revocation marks this
            // connection under the same lock, so it decided the Will already, or it sees the pending Will.
            lock (_broker.SessionsGate)
            {
                publishNow = DecideWill(session, session.ExpiryInterval);
            }
            if (publishNow is not null)
            {
                _broker.PublishWill(publishNow);
            }
        }
        _broker.DetachSession(this, session);
    }

    /// <summary>
    /// Once per connection, when it closes or is taken over, whichever comes first (under
    /// <see cref="MqttBroker.SessionsGate"/>): the Will to publish now, or null when there is none, DISCONNECT 0x00
    /// deleted it, or it waits for its delay.
    /// </summary>
    private ApplicationMessage? DecideWill(Session session, uint sessionExpiry)
    {
        if (_willDecided || _connect?.Will is not ApplicationMessage will)
        {
            return null;
        }
        _willDecided = true;
        return _normalDisconnect ? null : PublishNowOrDelay(will, session, _connect.WillDelay, sessionExpiry);
    }

    /// <summary>
    /// The Will to publish at once, or null when it waits for its delay (or a takeover already resumed the session). The
    /// delay ends with the session: at the Session Expiry Interval this connection had.
    /// </summary>
    private ApplicationMessage? PublishNowOrDelay(ApplicationMessage will, Session session, uint willDelay, uint sessionExpiry)
    {
        // A session resumed by the connection taking over goes on, whatever its expiry: a Will with a delay is not sent
        // [MQTT-3.1.3-9]. Otherwise the session ends after its expiry, and the Will with it at the latest.
        uint delay = _takenOver && !_sessionEnded ? willDelay : Math.Min(willDelay, sessionExpiry);
        if (delay == 0 || _sessionEnded)
        {
            return will;
        }
        if (!_takenOver)
        {
            var pending = new CancellationTokenSource();
            session.PendingWill = pending;
            session.PendingWillMessage = will;
            _ = PublishWillLaterAsync(session, pending, TimeSpan.FromSeconds(delay));
        }
        return null;
    }

    private async Task PublishWillLaterAsync(Session session, CancellationTokenSource pending, TimeSpan delay)
    {
        try
        {
            // A Will Delay Interval may reach 136 years; one Task.Delay at most about 49 days.
            TimeSpan step = TimeSpan.FromDays(30);
            for (; delay > step; delay -= step)
            {
                await Task.Delay(step, pending.Token);
            }
            await Task.Delay(delay, pending.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        // Only if still pending (a reconnection may have cancelled it as the delay ended), and taken from the session,
        // so that neither a later Clean Start nor the shutdown publishes it again.
        if (_broker.TakePendingWill(session, pending) is ApplicationMessage will)
        {
            _broker.PublishWill(will);
        }
    }
}
