using System.Globalization;

namespace Mqtt.Broker;

/// <summary>
/// How many sockets the process may still open while keeping descriptors for the runtime itself. At its open-files
/// limit (`ulimit -n`) a process cannot load an assembly, map newly compiled code or open a file, and .NET fails hard
/// on some of those (a fatal "Out of memory", or an assembly load failure it remembers for good). Read from /proc on
/// Linux; elsewhere there is no bound.
/// </summary>
internal static class DescriptorBudget
{
    /// <summary>Descriptors left to the runtime, the log and the broker's files.</summary>
    public const int Reserve = 64;

    /// <summary>The open-files limit less the descriptors open now and <see cref="Reserve"/>; <see cref="int.MaxValue"/> when unknown.</summary>
    public static int Remaining()
    {
        try
        {
            if (!File.Exists("/proc/self/limits") || OpenFilesLimit() is not long limit)
            {
                return int.MaxValue;
            }
            long open = Directory.GetFiles("/proc/self/fd").Length;
            return (int)Math.Clamp(limit - open - Reserve, 0, int.MaxValue);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return int.MaxValue;
        }
    }

    /// <summary>The soft limit from "Max open files  SOFT  HARD  files"; null when unlimited.</summary>
    private static long? OpenFilesLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string soft = line["Max open files".Length..].TrimStart().Split(' ')[0];
                return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
            }
        }
        return null;
    }
}
