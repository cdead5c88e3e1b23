using System.Runtime.InteropServices;

namespace Mqtt.Benchmarks;

/// <summary>
/// <c>e2e-ratio</c>: E2E seal and open as a share of the bare AES-GCM rate, timed in thread CPU time so that
/// preemption by other processes does not count (docs/e2e.md, "Cost"). BenchmarkDotNet's wall-clock rows for
/// the same operations (<see cref="EndToEndBenchmarks"/>) move by more than the differences measured here on a
/// 2-core machine. Runs the <see cref="EndToEndBenchmarks"/> operations in turn, <see cref="Batch"/> at a time,
/// for <see cref="Rounds"/> rounds after a warm-up, and prints the 20th percentile of each in ns per operation.
/// </summary>
internal static class EndToEndRatio
{
    private const int Batch = 512;
    private const int Rounds = 80;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    public static void Run()
    {
        Console.WriteLine("| Size | bare encrypt | E2E seal | seal / bare rate | bare decrypt | E2E open | open / bare rate |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (int size in (int[])[64, 1024])
        {
            using var benchmarks = new EndToEndBenchmarks { Size = size };
            benchmarks.GlobalSetup();
            Func<int>[] operations =
            [
                benchmarks.BareAesGcmEncrypt,
                benchmarks.E2eSeal,
                benchmarks.BareAesGcmDecrypt,
                () => (int)benchmarks.E2eOpen(),
            ];
            const int Open = 3; // needs fresh envelopes before each batch

            var samples = new List<double>[operations.Length];
            for (int i = 0; i < operations.Length; i++)
            {
                samples[i] = [];
            }

            long warmUpEnd = Environment.TickCount64 + (long)WarmUp.TotalMilliseconds;
            while (Environment.TickCount64 < warmUpEnd)
            {
                for (int i = 0; i < operations.Length; i++)
                {
                    TimeBatch(operations[i], i == Open ? benchmarks : null);
                }
            }

            for (int round = 0; round < Rounds; round++)
            {
                for (int i = 0; i < operations.Length; i++)
                {
                    samples[i].Add(TimeBatch(operations[i], i == Open ? benchmarks : null) / Batch);
                }
            }

            double[] p20 = samples.Select(Percentile20).ToArray();
            Console.WriteLine(
                $"| {size} B | {p20[0]:F0} | {p20[1]:F0} | {p20[0] / p20[1]:P0} | {p20[2]:F0} | {p20[3]:F0} | {p20[2] / p20[3]:P0} |");
        }
    }

    /// <summary>Thread CPU nanoseconds of one batch; the open batch gets fresh envelopes first and is checked after, both untimed.</summary>
    private static double TimeBatch(Func<int> operation, EndToEndBenchmarks? opening)
    {
        opening?.SealEnvelopesToOpen();
        long start = ThreadCpuNanoseconds();
        for (int i = 0; i < Batch; i++)
        {
            operation();
        }

        long elapsed = ThreadCpuNanoseconds() - start;
        opening?.CheckEveryOpenSucceeded();
        return elapsed;
    }

    private static double Percentile20(List<double> values)
    {
        values.Sort();
        return values[values.Count / 5];
    }

    private static long ThreadCpuNanoseconds()
    {
        const int ClockThreadCpuTimeId = 3;
        return clock_gettime(ClockThreadCpuTimeId, out Timespec now) == 0
            ? now.Seconds * 1_000_000_000 + now.Nanoseconds
            : throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
