using Mqtt.Codec;

namespace Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Re-authenticates on the open connection (MQTT 5 section 4.12.1): AUTH 0x19 with the handler's initial data, a
    /// handler step per AUTH 0x18, and the handler's check of the server's final AUTH 0x00. The server disconnects when
    /// it refuses; the task then fails with <see cref="MqttConnectionLostException"/>. A server that does not finish
    /// the exchange within <see cref="MqttClientOptions.ConnectTimeout"/> fails it with <see cref="MqttTimeoutException"/>
    /// (the connection stays; a later answer to the abandoned exchange is a protocol error).
    /// </summary>
    public async Task ReauthenticateAsync(CancellationToken cancellationToken = default)
    {
        IEnhancedAuthenticationHandler handler = _options.AuthenticationHandler
            ?? throw new InvalidOperationException("re-authentication needs MqttClientOptions.AuthenticationHandler");
        MqttConnection connection = RequireConnection();
        if (connection.Version != ProtocolVersion.V500)
        {
            throw new InvalidOperationException("re-authentication is an MQTT 5 feature");
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sync)
        {
            if (_reauthentication is not null)
            {
                throw new InvalidOperationException("a re-authentication is already in progress");
            }
            _reauthentication = done;
        }
        try
        {
            ReadOnlyMemory<byte>? data = await handler.StartAsync(true, cancellationToken).ConfigureAwait(false);
            await connection.SendAsync(AuthStep(ReasonCode.ReAuthenticate, handler.Method, data), cancellationToken).ConfigureAwait(false);
            await done.Task.WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new MqttTimeoutException($"the server did not finish the re-authentication within {_options.ConnectTimeout.TotalSeconds:0.###} s");
        }
        finally
        {
            lock (_sync)
            {
                if (_reauthentication == done)
                {
                    _reauthentication = null;
                }
            }
        }
    }

    private async ValueTask<ConnectPacket> BuildConnectAsync(bool cleanStart, CancellationToken cancellationToken)
    {
        bool v5 = _options.ProtocolVersion == ProtocolVersion.V500;
        if (!v5 && _options.Password is not null && _options.UserName is null)
        {
            throw new ArgumentException("[MQTT-3.1.2-22] MQTT 3.1.1 sends a password only with a user name");
        }
        if (!v5 && _options.AuthenticationHandler is not null)
        {
            // Ignoring it would connect without the server ever being checked (a SCRAM handler verifies the server too).
            throw new ArgumentException("MQTT 3.1.1 has no enhanced authentication: an AuthenticationHandler needs MQTT 5");
        }
        MqttProperties properties = default;
        if (v5)
        {
            if (_options.ReceiveMaximum == 0)
            {
                throw new ArgumentException("Receive Maximum is 1..65535");
            }
            properties.SessionExpiryInterval = _options.SessionExpiryInterval == 0 ? null : _options.SessionExpiryInterval;
            properties.ReceiveMaximum = _options.ReceiveMaximum == ushort.MaxValue ? null : _options.ReceiveMaximum;
            properties.MaximumPacketSize = _options.MaximumPacketSize > 0 ? (uint)_options.MaximumPacketSize : null;
            properties.TopicAliasMaximum = _options.TopicAliasMaximum > 0 ? _options.TopicAliasMaximum : null;
            properties.UserProperties = WireText.ToWire(_options.UserProperties);
            if (_options.AuthenticationHandler is IEnhancedAuthenticationHandler handler)
            {
                properties.AuthenticationMethod = MqttUtf8.Encode(handler.Method);
                properties.AuthenticationData = WireText.Wrap(await handler.StartAsync(false, cancellationToken).ConfigureAwait(false));
            }
        }
        WillMessage? will = null;
        if (_options.Will is MqttWill w)
        {
            will = new WillMessage
            {
                Topic = MqttUtf8.Encode(w.Topic),
                Payload = new(w.Payload),
                QoS = w.QoS,
                Retain = w.Retain,
                Properties = v5 ? MessageProperties.From(w) : default,
            };
        }
        return new ConnectPacket
        {
            Version = _options.ProtocolVersion,
            CleanStart = cleanStart,
            KeepAlive = (ushort)KeepAliveSeconds(_options.KeepAlive).TotalSeconds,
            ClientId = MqttUtf8.Encode(ClientIdInUse),
            Properties = properties,
            Will = will,
            UserName = _options.UserName is null ? null : MqttUtf8.Encode(_options.UserName),
            Password = WireText.Wrap(_options.Password),
        };
    }

    /// <summary>Reads up to CONNACK, answering each AUTH 0x18 through the handler (section 4.12).</summary>
    private async Task<MqttConnectResult> HandshakeAsync(MqttConnection connection, CancellationToken cancellationToken)
    {
        bool v5 = connection.Version == ProtocolVersion.V500;
        IEnhancedAuthenticationHandler? handler = v5 ? _options.AuthenticationHandler : null;
        while (true)
        {
            OwnedFrame owned = await connection.ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            MqttFrame frame = owned.Frame;
            DecodeError error;
            if (frame.Type == PacketType.Auth && v5)
            {
                Check(AuthPacket.TryRead(frame, connection.Version, out AuthPacket auth, out error), error);
                string? method = WireText.ToStringOrNull(auth.Properties.AuthenticationMethod);
                if (handler is null || auth.ReasonCode != ReasonCode.ContinueAuthentication || method != handler.Method)
                {
                    // [MQTT-4.12.0-2] [MQTT-4.12.0-3] Only AUTH 0x18 with the method of the CONNECT may come before CONNACK.
                    throw new MqttProtocolException(ReasonCode.ProtocolError, "AUTH before CONNACK without the client's authentication method");
                }
                ReadOnlyMemory<byte>? answer = await handler.ContinueAsync(WireText.ToMemoryOrNull(auth.Properties.AuthenticationData), cancellationToken)
                    .ConfigureAwait(false);
                await connection.SendAsync(AuthStep(ReasonCode.ContinueAuthentication, handler.Method, answer), cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (frame.Type != PacketType.ConnAck)
            {
                throw new MqttProtocolException(ReasonCode.ProtocolError, $"[MQTT-3.2.0-1] expected CONNACK, the server sent {frame.Type}");
            }
            if (v5 && IsOlderServersVersionRefusal(frame))
            {
                await connection.CloseAsync(null, null).ConfigureAwait(false);
                throw new MqttConnectException(new MqttConnectResult { ReasonCode = ReasonCode.UnsupportedProtocolVersion, ClientId = ClientIdInUse });
            }
            Check(ConnAckPacket.TryRead(frame, connection.Version, out ConnAckPacket connAck, out error), error);
            MqttConnectResult result = ToConnectResult(connAck);
            if ((byte)result.ReasonCode >= 0x80)
            {
                // [MQTT-3.2.2-7] The server closes the connection after a refusing CONNACK.
                await connection.CloseAsync(null, null).ConfigureAwait(false);
                throw new MqttConnectException(result);
            }
            if (handler is not null)
            {
                if (result.AuthenticationMethod != handler.Method)
                {
                    throw new MqttAuthenticationException(
                        $"the server accepted the connection without completing {handler.Method} authentication", ReasonCode.NotAuthorized);
                }
                if (!await handler.CompleteAsync(result.AuthenticationData, cancellationToken).ConfigureAwait(false))
                {
                    throw new MqttAuthenticationException($"the server failed the {handler.Method} verification: it did not prove itself", ReasonCode.NotAuthorized);
                }
            }
            return result;
        }
    }

    private async ValueTask OnReauthenticationStepAsync(MqttConnection connection, ReasonCode reasonCode, string? method, ReadOnlyMemory<byte>? data)
    {
        TaskCompletionSource? done;
        lock (_sync)
        {
            done = _reauthentication;
        }
        IEnhancedAuthenticationHandler? handler = _options.AuthenticationHandler;
        if (done is null || handler is null || method != handler.Method || reasonCode == ReasonCode.ReAuthenticate)
        {
            throw new MqttProtocolException(ReasonCode.ProtocolError, "AUTH from the server outside a re-authentication, or with another method");
        }
        if (reasonCode == ReasonCode.ContinueAuthentication)
        {
            ReadOnlyMemory<byte>? answer;
            try
            {
                answer = await handler.ContinueAsync(data, connection.Lifetime).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The handler refused the server's challenge: end with a DISCONNECT carrying the reason [MQTT-4.12.1-2],
                // as a failed step of the first authentication does, not a bare close.
                ReasonCode refusal = (e as MqttException)?.ReasonCode ?? ReasonCode.NotAuthorized;
                var failure = new MqttAuthenticationException($"the {handler.Method} handler refused the server's re-authentication step: {e.Message}", refusal, e);
                done.FailObserved(failure);
                throw new MqttProtocolException(refusal, failure.Message);
            }
            await connection.SendAsync(AuthStep(ReasonCode.ContinueAuthentication, handler.Method, answer), connection.Lifetime).ConfigureAwait(false);
            return;
        }
        if (!await handler.CompleteAsync(data, connection.Lifetime).ConfigureAwait(false))
        {
            var failure = new MqttAuthenticationException($"the server failed the {handler.Method} verification on re-authentication", ReasonCode.NotAuthorized);
            done.FailObserved(failure);
            throw new MqttProtocolException(ReasonCode.NotAuthorized, failure.Message);
        }
        done.TrySetResult();
    }

    private static AuthPacket AuthStep(ReasonCode reasonCode, string method, ReadOnlyMemory<byte>? data) => new()
    {
        ReasonCode = reasonCode,
        Properties = new MqttProperties { AuthenticationMethod = MqttUtf8.Encode(method), AuthenticationData = WireText.Wrap(data) },
    };

    /// <summary>
    /// A 3.1.1 server's answer to our level-5 CONNECT: its own two-byte CONNACK with return code 0x01, unacceptable
    /// protocol level [MQTT-3.1.2-2]. Not a valid MQTT 5 CONNACK, but what it means is clear: the server does not
    /// speak MQTT 5 (an MQTT 5 server would say 0x84 Unsupported Protocol Version).
    /// </summary>
    private static bool IsOlderServersVersionRefusal(in MqttFrame frame) =>
        frame.Body.Length == 2 && frame.Body.Slice(1).FirstSpan[0] == 0x01;

    private MqttConnectResult ToConnectResult(in ConnAckPacket connAck)
    {
        MqttProperties p = connAck.Properties;
        string? assigned = WireText.ToStringOrNull(p.AssignedClientIdentifier);
        return new MqttConnectResult
        {
            ReasonCode = connAck.ReasonCode,
            SessionPresent = connAck.SessionPresent,
            ClientId = assigned ?? ClientIdInUse,
            ReasonString = WireText.ToStringOrNull(p.ReasonString),
            AssignedClientIdentifier = assigned,
            ServerKeepAlive = p.ServerKeepAlive,
            SessionExpiryInterval = p.SessionExpiryInterval,
            ReceiveMaximum = p.ReceiveMaximum ?? ushort.MaxValue,
            MaximumQoS = p.MaximumQoS ?? QualityOfService.ExactlyOnce,
            RetainAvailable = p.RetainAvailable ?? true,
            MaximumPacketSize = p.MaximumPacketSize,
            TopicAliasMaximum = p.TopicAliasMaximum ?? 0,
            WildcardSubscriptionAvailable = p.WildcardSubscriptionAvailable ?? true,
            SubscriptionIdentifiersAvailable = p.SubscriptionIdentifierAvailable ?? true,
            SharedSubscriptionAvailable = p.SharedSubscriptionAvailable ?? true,
            ResponseInformation = WireText.ToStringOrNull(p.ResponseInformation),
            ServerReference = WireText.ToStringOrNull(p.ServerReference),
            AuthenticationMethod = WireText.ToStringOrNull(p.AuthenticationMethod),
            AuthenticationData = WireText.ToMemoryOrNull(p.AuthenticationData),
            UserProperties = WireText.ToList(p.UserProperties),
        };
    }
}
