using System.Diagnostics;
using Mqtt.Client;

namespace Mqtt.Cli.Bench;

/// <summary>
/// connect: after --warmup seconds of uncounted connects, N connections, C at a time, each closed with DISCONNECT
/// after its CONNACK (or all held until the storm ends, with --hold). idle: the same with keep alive 0, all held for
/// --hold-seconds. The resource window runs from before the first connection to the end of the storm (connect) or of
/// the hold (idle), with every held connection still open, so the broker's memory growth divided by the connections
/// is its cost per connection.
/// </summary>
public sealed class ConnectionStormRunner
{
    private static readonly TimeSpan DisconnectLimit = TimeSpan.FromSeconds(5);

    private readonly BenchSettings _settings;
    private readonly BenchClientFactory _clients;
    private readonly TextWriter _error;
    private readonly ProgressLine _progress;
    private readonly string _runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly MqttClient?[] _held;
    private long _connected;
    private long _failed;
    private Exception? _firstFailure;

    public ConnectionStormRunner(BenchSettings settings, BenchClientFactory clients, TextWriter error)
    {
        _settings = settings;
        _clients = clients;
        _error = error;
        _progress = new ProgressLine(settings.Quiet ? null : error, settings.ScenarioName);
        _held = new MqttClient?[IsHolding ? settings.Connections : 0];
    }

    private bool IsIdle => _settings.Scenario == BenchScenario.Idle;

    private bool IsHolding => IsIdle || _settings.Hold;

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await MeasureAsync(cancellationToken);
        }
        finally
        {
            await CloseHeldAsync();
        }
    }

    private async Task<BenchReport> MeasureAsync(CancellationToken cancellationToken)
    {
        BenchSettings s = _settings;
        if (!IsIdle && s.Warmup > TimeSpan.Zero)
        {
            await WarmUpAsync(cancellationToken);
        }
        var resources = new ResourceWindow(s.BrokerPid);
        var histograms = new LatencyHistogram[WorkerCount(s.Connections)];
        int next = -1;
        resources.Begin();
        long start = Stopwatch.GetTimestamp();
        Task storm = RunWorkersAsync(histograms.Length, async w =>
        {
            LatencyHistogram histogram = histograms[w] = new LatencyHistogram();
            int i;
            while ((i = Interlocked.Increment(ref next)) < s.Connections && !cancellationToken.IsCancellationRequested)
            {
                await ConnectOneAsync(i, histogram, cancellationToken);
            }
        });
        while (!storm.IsCompleted)
        {
            await Task.WhenAny(storm, Task.Delay(1000, CancellationToken.None));
            if (!storm.IsCompleted)
            {
                _progress.Connections("connect", Volatile.Read(ref _connected), Volatile.Read(ref _failed), HeldCount());
            }
        }
        await storm;
        double stormSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (IsIdle)
        {
            long holdEnd = Stopwatch.GetTimestamp() + MeasurementWindow.ToTicks(s.HoldTime);
            while (!cancellationToken.IsCancellationRequested)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= holdEnd)
                {
                    break;
                }
                if (now + Stopwatch.Frequency <= holdEnd)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                    _progress.Connections("hold", Volatile.Read(ref _connected), Volatile.Read(ref _failed), HeldCount());
                }
                else
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(now, holdEnd) + TimeSpan.FromMilliseconds(1), CancellationToken.None);
                }
            }
        }
        resources.Finish();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        if (_connected == 0 && _firstFailure is not null)
        {
            throw _firstFailure;
        }
        if (_failed > 0)
        {
            _error.WriteLine($"bench: {_failed} of {s.Connections} connections failed, the first with: {_firstFailure?.Message}");
        }
        var latency = new LatencyHistogram();
        foreach (LatencyHistogram histogram in histograms)
        {
            latency.Add(histogram);
        }
        return new BenchReport
        {
            Scenario = s.ScenarioName,
            DurationSeconds = seconds,
            Latency = LatencySummary.From(latency),
            Connections = s.Connections,
            ConnectsPerSecond = stormSeconds > 0 ? _connected / stormSeconds : null,
            ConnectFailures = _failed,
            Broker = resources.Broker(null, _connected, IsHolding ? _connected : null),
            GeneratorCpuSeconds = resources.GeneratorCpuSeconds,
        };
    }

    /// <summary>
    /// Connects and closes for the warm-up time, uncounted, as the message scenarios warm up: without it the first
    /// few thousand connects of a fresh generator (and of a fresh broker) pay for JIT compilation. Not for idle, whose
    /// memory figure wants a broker that has served nothing. Stops at the first failure: the storm reports it.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        long end = Stopwatch.GetTimestamp() + MeasurementWindow.ToTicks(_settings.Warmup);
        int next = -1;
        int failed = 0;
        await RunWorkersAsync(WorkerCount(_settings.Connections), async _ =>
        {
            while (Volatile.Read(ref failed) == 0 && Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                MqttClient client = _clients.Create($"bench-{_runId}-w{Interlocked.Increment(ref next)}", null);
                try
                {
                    await client.ConnectAsync(cancellationToken);
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                }
                catch (Exception e) when (e is MqttException or OperationCanceledException)
                {
                    Volatile.Write(ref failed, 1);
                }
                finally
                {
                    await client.DisposeAsync();
                }
            }
        });
    }

    /// <summary>Connections in flight at once: --concurrency, at most one per connection to make.</summary>
    private int WorkerCount(int connections) => Math.Max(1, Math.Min(_settings.Concurrency, connections));

    /// <summary>Runs <paramref name="worker"/> <paramref name="count"/> times in parallel, each given its index.</summary>
    private static Task RunWorkersAsync(int count, Func<int, Task> worker)
    {
        var workers = new Task[count];
        for (int w = 0; w < count; w++)
        {
            int index = w;
            workers[w] = Task.Run(() => worker(index), CancellationToken.None);
        }
        return Task.WhenAll(workers);
    }

    private async Task ConnectOneAsync(int index, LatencyHistogram histogram, CancellationToken cancellationToken)
    {
        // Keep alive 0 for idle connections: no PINGREQ traffic while they are held.
        MqttClient client = _clients.Create($"bench-{_runId}-c{index}", IsIdle ? TimeSpan.Zero : null);
        try
        {
            long started = Stopwatch.GetTimestamp();
            await client.ConnectAsync(cancellationToken);
            histogram.RecordTicks(Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _connected);
        }
        catch (MqttException e)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstFailure, e, null);
            await client.DisposeAsync();
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the storm stops here.
            await client.DisposeAsync();
            return;
        }
        if (IsHolding)
        {
            _held[index] = client;
            return;
        }
        try
        {
            await client.DisconnectAsync(cancellationToken: CancellationToken.None);
        }
        catch (MqttException)
        {
            // Connected all the same; the socket is closed below.
        }
        await client.DisposeAsync();
    }

    private long HeldCount() => IsHolding ? Volatile.Read(ref _connected) : 0;

    /// <summary>Closes the held connections with DISCONNECT, as many at a time as they were opened.</summary>
    private async Task CloseHeldAsync()
    {
        int next = -1;
        await RunWorkersAsync(WorkerCount(_held.Length), async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < _held.Length)
            {
                if (Interlocked.Exchange(ref _held[i], null) is not MqttClient client)
                {
                    continue;
                }
                try
                {
                    using var limit = new CancellationTokenSource(DisconnectLimit);
                    await client.DisconnectAsync(cancellationToken: limit.Token);
                }
                catch (Exception e) when (e is MqttException or OperationCanceledException or ObjectDisposedException)
                {
                    // Closing anyway.
                }
                await client.DisposeAsync();
            }
        });
    }
}
