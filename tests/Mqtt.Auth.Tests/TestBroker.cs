using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Mqtt.Broker;
using Mqtt.Security.Credentials;

namespace Mqtt.Auth.Tests;

/// <summary>A broker with the security layer on 127.0.0.1 and a free port, its data in a fresh temporary folder.</summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(MqttBroker broker, BrokerSecurity security, string dataDirectory, CollectingLogger log)
    {
        Broker = broker;
        Security = security;
        DataDirectory = dataDirectory;
        Log = log;
    }

    public MqttBroker Broker { get; }

    public BrokerSecurity Security { get; }

    public string DataDirectory { get; }

    public CollectingLogger Log { get; }

    public IPEndPoint EndPoint => Broker.Endpoints[0].EndPoint;

    public static async Task<TestBroker> StartAsync(Action<BrokerSecurityOptions>? security = null, Action<BrokerOptions>? broker = null, string? dataDirectory = null,
        Action<BrokerOptions>? afterSecurity = null)
    {
        dataDirectory ??= NewDataDirectory();
        var options = new BrokerOptions { SysInterval = TimeSpan.Zero };
        options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        broker?.Invoke(options);
        var securityOptions = new BrokerSecurityOptions { DataDirectory = dataDirectory, PlainPasswords = PlainPasswordPolicy.Always };
        security?.Invoke(securityOptions);
        var log = new CollectingLogger();
        BrokerSecurity configured = BrokerSecurity.Configure(options, securityOptions, log);
        afterSecurity?.Invoke(options);
        var mqtt = new MqttBroker(options, log);
        await mqtt.StartAsync();
        return new TestBroker(mqtt, configured, dataDirectory, log);
    }

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "mqttcore-auth-" + Guid.NewGuid().ToString("N"));

    public Task AddUserAsync(string name, string password) =>
        Security.Credentials.TryAddAsync(UserCredentials.Derive(name, password));

    public async ValueTask DisposeAsync()
    {
        await Broker.StopAsync();
        Security.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every formatted log line, to check audit lines.</summary>
internal sealed class CollectingLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue(formatter(state, exception));
}

/// <summary>A fresh data folder path (not created), deleted with everything in it on dispose.</summary>
internal sealed class TempDataFolder : IDisposable
{
    public string Path { get; } = TestBroker.NewDataDirectory();

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
