using System.Globalization;
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

    private void PublishSysTopics()
    {
        PublishSys("$SYS/broker/version", "mqttcore");
        PublishSys("$SYS/broker/uptime", $"{(Environment.TickCount64 - _startedAt) / 1000} seconds");
        PublishSys("$SYS/broker/clients/connected", Statistics.ConnectionsOpen);
        PublishSys("$SYS/broker/clients/total", Statistics.ConnectionsTotal);
        PublishSys("$SYS/broker/messages/received", Statistics.MessagesReceived);
        PublishSys("$SYS/broker/messages/sent", Statistics.MessagesSent);
        PublishSys("$SYS/broker/messages/dropped", Statistics.MessagesDropped);
        PublishSys("$SYS/broker/messages/dropped/backed-up", Statistics.BackedUpDrops);
        PublishSys("$SYS/broker/bytes/received", Statistics.BytesReceived);
        PublishSys("$SYS/broker/bytes/sent", Statistics.BytesSent);
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
