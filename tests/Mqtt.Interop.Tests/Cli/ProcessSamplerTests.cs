using System.Diagnostics;
using Mqtt.Cli.Bench;

namespace Mqtt.Interop.Tests.Cli;

/// <summary>The /proc reader of `bench --broker-pid`, against this test process and against crafted text.</summary>
public sealed class ProcessSamplerTests
{
    [Fact]
    public void The_CPU_time_of_this_process_matches_what_dotnet_reports_for_it()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        double before = self.TotalProcessorTime.TotalSeconds;

        ProcessSample sample = ProcessSampler.Read(Environment.ProcessId);

        self.Refresh();
        double after = self.TotalProcessorTime.TotalSeconds;
        // .NET reads getrusage (microseconds); /proc truncates utime and stime to 10 ms ticks each, so up to 20 ms less.
        Assert.InRange(sample.CpuSeconds, before - 0.05, after + 0.011);
        Assert.True(sample.CpuSeconds > 0);
    }

    [Fact]
    public void The_resident_memory_of_this_process_is_its_working_set()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        long workingSetKiB = self.WorkingSet64 / 1024;

        long residentKiB = ProcessSampler.Read(Environment.ProcessId).ResidentKiB;

        Assert.InRange(residentKiB, workingSetKiB * 8 / 10, workingSetKiB * 12 / 10);
    }

    [Fact]
    public void Fields_14_and_15_are_found_after_a_command_name_holding_spaces_and_parentheses()
    {
        const string stat = "4242 (my (odd) broker) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 123 456789 1234 18446744073709551615\n";

        Assert.Equal(3.0, ProcessSampler.ParseCpuSeconds(stat));
    }

    [Fact]
    public void VmRSS_is_read_in_KiB_and_its_absence_is_an_error()
    {
        const string status = "Name:\tmosquitto\nVmPeak:\t   20000 kB\nVmRSS:\t    8648 kB\nThreads:\t1\n";

        Assert.Equal(8648, ProcessSampler.ParseResidentKiB(status));
        Assert.Throws<FormatException>(() => ProcessSampler.ParseResidentKiB("Name:\tx\n"));
        Assert.Throws<FormatException>(() => ProcessSampler.ParseCpuSeconds("no command name here"));
    }
}
