using System.Globalization;
using System.Reflection;
using System.Text;
using Mqtt.Codec;

namespace Mqtt.Broker;

public sealed partial class MqttBroker
{
    private long _startedAt;

    /// <summary>Publishes $SYS/broker/... (retained, QoS 0) every <see cref="BrokerOptions.SysInterval"/>, as Mosquitto does.</summary>
    private void StartSysTopics()
    {
        _startedAt = Environment.TickCount64;
        if (Options.SysInterval <= TimeSpan.Zero)
        {
            return;
        }
        _ = PublishSysTopicsLoopAsync();
    }

    private async Task PublishSysTopicsLoopAsync()
    {
        using var timer = new PeriodicTimer(Options.SysInterval);
        do
        {
            PublishSysTopics();
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>"mqttcore version 1.0.0", as Mosquitto's "mosquitto version 2.0.11".</summary>
    private static readonly string Version = "mqttcore version " + (typeof(MqttBroker).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown");

    /// <summary>The topics Mosquitto publishes under these names, with the same meanings (PUBLISH counts under publish/).</summary>
    internal void PublishSysTopics()
    {
        int sessions;
        lock (_sessionsGate)
        {
            sessions = _sessions.Count;
        }
        PublishSys("$SYS/broker/version", Version);
        PublishSys("$SYS/broker/uptime", $"{(Environment.TickCount64 - _startedAt) / 1000} seconds");
        PublishSys("$SYS/broker/clients/connected", Statistics.ConnectionsOpen);
        // Clients the broker knows: connected, or away with a session it keeps.
        PublishSys("$SYS/broker/clients/total", sessions);
        PublishSys("$SYS/broker/publish/messages/received", Statistics.MessagesReceived);
        PublishSys("$SYS/broker/publish/messages/sent", Statistics.MessagesSent);
        PublishSys("$SYS/broker/publish/messages/dropped", Statistics.MessagesDropped);
        PublishSys("$SYS/broker/publish/messages/dropped/backed-up", Statistics.BackedUpDrops);
        PublishSys("$SYS/broker/publish/bytes/received", Statistics.BytesReceived);
        PublishSys("$SYS/broker/publish/bytes/sent", Statistics.BytesSent);
        PublishSys("$SYS/broker/subscriptions/count", Subscriptions.Count);
        PublishSys("$SYS/broker/retained messages/count", Retained.Count);
    }

    private void PublishSys(string topic, long value) => PublishSys(topic, value.ToString(CultureInfo.InvariantCulture));

    private void PublishSys(string topic, string value)
    {
        var packet = new PublishPacket
        {
            Topic = MqttUtf8.Encode(topic),
            Payload = new(Encoding.UTF8.GetBytes(value)),
            Retain = true,
        };
        PublishInternal(ApplicationMessage.Copy(packet, publisherClientId: null));
    }
}
