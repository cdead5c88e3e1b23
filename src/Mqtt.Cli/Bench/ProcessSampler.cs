using System.Globalization;

namespace Mqtt.Cli.Bench;

/// <summary>
/// Reads another process's CPU time from /proc/PID/stat (utime + stime, fields 14 and 15, in clock ticks) and its
/// resident memory from /proc/PID/status (VmRSS). Linux only.
/// </summary>
public static class ProcessSampler
{
    /// <summary>
    /// sysconf(_SC_CLK_TCK): USER_HZ, the unit of utime and stime. Assumed 100, which Linux has fixed for user space
    /// on every mainstream architecture (x86, arm64) whatever the kernel's internal HZ.
    /// </summary>
    public const int ClockTicksPerSecond = 100;

    public static bool Exists(int pid) => File.Exists($"/proc/{pid}/stat");

    public static ProcessSample Read(int pid) =>
        new(ParseCpuSeconds(File.ReadAllText($"/proc/{pid}/stat")), ParseResidentKiB(File.ReadAllText($"/proc/{pid}/status")));

    /// <summary>utime + stime of a /proc/PID/stat line, in seconds.</summary>
    /// <exception cref="FormatException">The line is not a stat line.</exception>
    public static double ParseCpuSeconds(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        // Field 2, the command name, is in parentheses and may hold spaces and ')': the fields after it start after the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            throw new FormatException("no ')' after the command name in /proc/PID/stat");
        }
        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.Length < 13
            || !long.TryParse(fields[14 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out long utime)
            || !long.TryParse(fields[15 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out long stime))
        {
            throw new FormatException("utime and stime (fields 14 and 15) missing from /proc/PID/stat");
        }
        return (double)(utime + stime) / ClockTicksPerSecond;
    }

    /// <summary>VmRSS of a /proc/PID/status text, in KiB.</summary>
    /// <exception cref="FormatException">No VmRSS line.</exception>
    public static long ParseResidentKiB(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                string[] parts = line["VmRSS:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                {
                    return kib;
                }
            }
        }
        throw new FormatException("no VmRSS line in /proc/PID/status");
    }
}
