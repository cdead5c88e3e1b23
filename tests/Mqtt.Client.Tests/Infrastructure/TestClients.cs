using System.Text;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>Shorthands for tests: options for a local broker, and bounded waits for messages.</summary>
public static class TestClients
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static MqttClientOptions Options(int port, ProtocolVersion version = ProtocolVersion.V500, string? clientId = null) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ProtocolVersion = version,
        ClientId = clientId ?? "t-" + Guid.NewGuid().ToString("N")[..12],
        ConnectTimeout = Patience,
    };

    public static async Task<MqttClient> ConnectAsync(int port, ProtocolVersion version = ProtocolVersion.V500, Action<MqttClientOptions>? configure = null)
    {
        MqttClientOptions options = Options(port, version);
        configure?.Invoke(options);
        var client = new MqttClient(options);
        await client.ConnectAsync();
        return client;
    }

    /// <summary>The next <paramref name="count"/> messages, or a failure after the timeout.</summary>
    public static async Task<List<MqttApplicationMessage>> ReceiveAsync(this MqttClient client, int count, TimeSpan? timeout = null)
    {
        var messages = new List<MqttApplicationMessage>();
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            await foreach (MqttApplicationMessage m in client.ReadMessagesAsync(cts.Token))
            {
                messages.Add(m);
                if (messages.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"received {messages.Count} of {count} messages within {timeout ?? Patience}");
        }
        return messages;
    }

    /// <summary>Asserts that no message arrives within <paramref name="wait"/>.</summary>
    public static async Task AssertNothingReceivedAsync(this MqttClient client, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await foreach (MqttApplicationMessage m in client.ReadMessagesAsync(cts.Token))
            {
                Assert.Fail($"unexpected message on {m.Topic}: {Text(m)}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static string Text(MqttApplicationMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    public static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
