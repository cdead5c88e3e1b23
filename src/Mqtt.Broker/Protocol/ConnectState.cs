using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>What a CONNECT asked for, copied out of the read buffer so it survives an authentication exchange.</summary>
internal sealed class ConnectState
{
    public required string ClientId { get; init; }

    public string? UserName { get; init; }

    public byte[]? Password { get; init; }

    public bool CleanStart { get; init; }

    public ushort KeepAlive { get; init; }

    /// <summary>Seconds; 0 ends the session with the connection, uint.MaxValue never expires.</summary>
    public uint SessionExpiry { get; init; }

    public ushort ReceiveMaximum { get; init; } = ushort.MaxValue;

    public uint? MaximumPacketSize { get; init; }

    /// <summary>Highest Topic Alias the client accepts from us; 0 for none.</summary>
    public ushort TopicAliasMaximum { get; init; }

    public ApplicationMessage? Will { get; init; }

    public uint WillDelay { get; init; }

    public string? AuthenticationMethod { get; init; }

    /// <summary>CONNECT asked to register its User Name and Password (User Property register=true, docs/security.md).</summary>
    public bool RegistrationRequested { get; init; }

    public static ConnectState From(in ConnectPacket connect)
    {
        MqttProperties p = connect.Properties;
        bool v5 = connect.Version == ProtocolVersion.V500;
        ApplicationMessage? will = null;
        uint willDelay = 0;
        if (connect.Will is WillMessage w)
        {
            MqttProperties willProperties = w.Properties;
            willDelay = willProperties.WillDelayInterval ?? 0;
            willProperties.WillDelayInterval = null;
            var packet = new PublishPacket { Topic = w.Topic, Payload = w.Payload, QoS = w.QoS, Retain = w.Retain, Properties = willProperties };
            will = ApplicationMessage.Copy(packet, MqttUtf8.GetString(connect.ClientId));
        }
        return new ConnectState
        {
            ClientId = MqttUtf8.GetString(connect.ClientId),
            UserName = connect.UserName is { } user ? MqttUtf8.GetString(user) : null,
            Password = connect.Password is { } password ? password.ToArray() : null,
            CleanStart = connect.CleanStart,
            KeepAlive = connect.KeepAlive,
            SessionExpiry = v5 ? p.SessionExpiryInterval ?? 0 : connect.CleanStart ? 0 : uint.MaxValue,
            ReceiveMaximum = p.ReceiveMaximum ?? ushort.MaxValue,
            MaximumPacketSize = p.MaximumPacketSize,
            TopicAliasMaximum = p.TopicAliasMaximum ?? 0,
            Will = will,
            WillDelay = willDelay,
            AuthenticationMethod = p.AuthenticationMethod is { } method ? MqttUtf8.GetString(method) : null,
            RegistrationRequested = AsksToRegister(p),
        };
    }

    private static bool AsksToRegister(in MqttProperties properties)
    {
        foreach (UserProperty property in properties.UserProperties)
        {
            if (property.NameString == "register" && property.ValueString == "true")
            {
                return true;
            }
        }

        return false;
    }
}
