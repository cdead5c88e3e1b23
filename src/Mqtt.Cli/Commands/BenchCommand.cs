using System.CommandLine;
using Mqtt.Cli.Bench;
using Mqtt.Client;

namespace Mqtt.Cli.Commands;

/// <summary>`mqttcore bench SCENARIO`: the load generator of perf/ (docs/cli.md, section bench).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new BenchOptionSet();
        var common = new ClientOptionSet();
        var command = new Command("bench", "Load generator: message throughput, latency and broker cost, or a connection storm");
        bench.AddTo(command);
        common.AddTo(command);
        command.AddCheck(r =>
        {
            if (r.GetValue(common.IdPrefix) is not null)
            {
                r.AddError("bench names its clients itself (bench-RUN-...; -i is not used), not -I");
            }
        });
        command.SetAction((ParseResult r, CancellationToken cancellationToken) => RunAsync(r, bench, common, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult r, BenchOptionSet bench, ClientOptionSet common, CancellationToken cancellationToken)
    {
        TextWriter output = r.InvocationConfiguration.Output;
        TextWriter error = r.InvocationConfiguration.Error;
        List<string> errors = bench.Check(r);
        if (errors.Count > 0)
        {
            foreach (string message in errors)
            {
                error.WriteLine($"mqttcore bench: {message}");
            }
            return ExitCodes.Usage;
        }
        BenchSettings settings = bench.ToSettings(r);
        if (settings.Scenario == BenchScenario.Idle && settings.BrokerPid is null)
        {
            error.WriteLine("bench: without --broker-pid, idle reports no memory per connection");
        }
        if (!common.TryReadPassword(r, error, out string? password) || common.Build(r, error, password) is not MqttClientOptions template)
        {
            return ExitCodes.Usage;
        }
        BenchReport report;
        try
        {
            var clients = new BenchClientFactory(template, password, settings.Register);
            report = settings.Scenario is BenchScenario.Connect or BenchScenario.Idle
                ? await new ConnectionStormRunner(settings, clients, error).RunAsync(cancellationToken)
                : await new MessageScenarioRunner(settings, clients, error).RunAsync(cancellationToken);
        }
        catch (BenchRefusedException e)
        {
            error.WriteLine(e.Message);
            return ExitCodes.Refused;
        }
        catch (Exception e) when (e is MqttException or ArgumentException)
        {
            return ClientOptionSet.Fail(e, error);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            // Gone, not ours to read, or no longer a running process (a zombie has no VmRSS).
            error.WriteLine($"bench: cannot sample the broker process: {e.Message}");
            return ExitCodes.Unreachable;
        }
        if (settings.Json)
        {
            BenchReportWriter.WriteJson(report, output);
        }
        else
        {
            BenchReportWriter.WriteText(report, output);
        }
        output.Flush();
        return ExitCodes.Success;
    }
}
