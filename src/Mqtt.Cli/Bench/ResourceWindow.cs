using System.Diagnostics;

namespace Mqtt.Cli.Bench;

/// <summary>The generator's CPU time, and the broker's CPU time and memory (given its PID), between two moments.</summary>
public sealed class ResourceWindow
{
    private readonly int? _brokerPid;
    private TimeSpan _generatorStart;
    private TimeSpan _generatorEnd;
    private ProcessSample _brokerStart;
    private ProcessSample _brokerEnd;

    public ResourceWindow(int? brokerPid)
    {
        _brokerPid = brokerPid;
    }

    public void Begin()
    {
        _generatorStart = GeneratorCpu();
        if (_brokerPid is int pid)
        {
            _brokerStart = ProcessSampler.Read(pid);
        }
    }

    public void Finish()
    {
        _generatorEnd = GeneratorCpu();
        if (_brokerPid is int pid)
        {
            _brokerEnd = ProcessSampler.Read(pid);
        }
    }

    public double GeneratorCpuSeconds => (_generatorEnd - _generatorStart).TotalSeconds;

    /// <summary>The broker's figures, per message and per connection where given; null without --broker-pid.</summary>
    public BrokerFigures? Broker(long? messages, long? connects, long? connections) => _brokerPid is int pid
        ? new BrokerFigures
        {
            Pid = pid,
            CpuSeconds = _brokerEnd.CpuSeconds - _brokerStart.CpuSeconds,
            CpuMicrosecondsPerMessage = PerItem(_brokerEnd.CpuSeconds - _brokerStart.CpuSeconds, messages),
            CpuMicrosecondsPerConnect = PerItem(_brokerEnd.CpuSeconds - _brokerStart.CpuSeconds, connects),
            ResidentKiBStart = _brokerStart.ResidentKiB,
            ResidentKiBEnd = _brokerEnd.ResidentKiB,
            ResidentKiBPerConnection = connections is > 0 ? (double)(_brokerEnd.ResidentKiB - _brokerStart.ResidentKiB) / connections.Value : null,
        }
        : null;

    /// <summary>Microseconds of CPU per item; null when there is nothing to divide by.</summary>
    public static double? PerItem(double cpuSeconds, long? items) => items is > 0 ? cpuSeconds * 1e6 / items.Value : null;

    private static TimeSpan GeneratorCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
