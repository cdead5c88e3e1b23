using BenchmarkDotNet.Running;

namespace Mqtt.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["e2e-ratio"])
        {
            EndToEndRatio.Run();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
