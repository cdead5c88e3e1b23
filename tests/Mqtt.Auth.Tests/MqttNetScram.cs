using System.Net;
using System.Text;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;

namespace Mqtt.Auth.Tests;

/// <summary>MQTTnet 5's enhanced authentication hook doing SCRAM with the RFC-written <see cref="RfcScram"/>.</summary>
internal sealed class MqttNetScramHandler(RfcScram scram) : IMqttEnhancedAuthenticationHandler
{
    public async Task HandleEnhancedAuthenticationAsync(MqttEnhancedAuthenticationEventArgs eventArgs)
    {
        string serverFirst = Encoding.UTF8.GetString(eventArgs.AuthenticationData ?? []);
        string clientFinal = scram.ClientFinal(serverFirst);
        await eventArgs.SendAsync(new SendMqttEnhancedAuthenticationDataOptions { Data = Encoding.UTF8.GetBytes(clientFinal) }, eventArgs.CancellationToken);
    }
}

/// <summary>Shortcuts for MQTTnet clients against a test broker.</summary>
internal static class MqttNet
{
    public static MqttClientOptionsBuilder Options(IPEndPoint broker, string clientId) => new MqttClientOptionsBuilder()
        .WithTcpServer(broker.Address.ToString(), broker.Port)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithClientId(clientId)
        .WithTimeout(TimeSpan.FromSeconds(15));

    public static MqttClientOptionsBuilder WithScram(this MqttClientOptionsBuilder options, RfcScram scram) => options
        .WithEnhancedAuthentication(scram.Mechanism, Encoding.UTF8.GetBytes(scram.ClientFirst()))
        .WithEnhancedAuthenticationHandler(new MqttNetScramHandler(scram));

    /// <summary>Connects and returns the CONNACK result code, whether MQTTnet returns it or throws it.</summary>
    public static async Task<(MqttClientConnectResultCode Code, MqttClientConnectResult? Result)> ConnectAsync(IMqttClient client, MqttClientOptions options)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            MqttClientConnectResult result = await client.ConnectAsync(options, timeout.Token);
            return (result.ResultCode, result);
        }
        catch (MqttCommunicationException e) when (e.GetType().Name == "MqttConnectingFailedException")
        {
            // MQTTnet throws the refusing CONNACK; its result property's name varies between versions.
            MqttClientConnectResult? result = null;
            foreach (System.Reflection.PropertyInfo property in e.GetType().GetProperties())
            {
                if (property.PropertyType == typeof(MqttClientConnectResult))
                {
                    result = (MqttClientConnectResult?)property.GetValue(e);
                }
            }

            return (result?.ResultCode ?? MqttClientConnectResultCode.UnspecifiedError, result);
        }
    }

    /// <summary>A connected client logged in with a plain password (the broker under test allows it).</summary>
    public static async Task<IMqttClient> ConnectPlainAsync(IPEndPoint broker, string user, string password, string? clientId = null, bool cleanStart = true, uint sessionExpiry = 0)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        MqttClientOptions options = Options(broker, clientId ?? user + "-" + Guid.NewGuid().ToString("N")[..8])
            .WithCredentials(user, password).WithCleanStart(cleanStart).WithSessionExpiryInterval(sessionExpiry).Build();
        (MqttClientConnectResultCode code, _) = await ConnectAsync(client, options);
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        return client;
    }
}
