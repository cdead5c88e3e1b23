using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mqtt.Cli.Bench;

/// <summary>Writes a <see cref="BenchReport"/> as the one-line JSON object of docs/cli.md, or as a few lines for people.</summary>
public static class BenchReportWriter
{
    public static void WriteJson(BenchReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("scenario", report.Scenario);
            Number(json, "qos", report.QoS);
            Number(json, "payload_bytes", report.PayloadBytes);
            Number(json, "publishers", report.Publishers);
            Number(json, "subscribers", report.Subscribers);
            json.WriteString("mode", report.Mode);
            Number(json, "offered_rate", report.OfferedRate, 1);
            Number(json, "outstanding", report.Outstanding);
            Number(json, "duration_s", report.DurationSeconds, 3);
            Number(json, "sent", report.Sent);
            Number(json, "not_sent", report.NotSent);
            Number(json, "expected", report.Expected);
            Number(json, "delivered", report.Delivered);
            Number(json, "lost", report.Lost);
            Number(json, "duplicates", report.Duplicates);
            Number(json, "delivered_per_s", report.DeliveredPerSecond, 1);
            if (report.Latency is LatencySummary latency)
            {
                json.WriteStartObject("latency_us");
                Number(json, "p50", latency.P50, 1);
                Number(json, "p99", latency.P99, 1);
                Number(json, "max", latency.Max, 1);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("latency_us");
            }
            Number(json, "connections", report.Connections);
            Number(json, "connects_per_s", report.ConnectsPerSecond, 1);
            Number(json, "connect_failures", report.ConnectFailures);
            if (report.Broker is BrokerFigures broker)
            {
                json.WriteStartObject("broker");
                json.WriteNumber("pid", broker.Pid);
                Number(json, "cpu_s", broker.CpuSeconds, 3);
                Number(json, "cpu_us_per_msg", broker.CpuMicrosecondsPerMessage, 2);
                Number(json, "cpu_us_per_connect", broker.CpuMicrosecondsPerConnect, 2);
                json.WriteNumber("rss_kib_start", broker.ResidentKiBStart);
                json.WriteNumber("rss_kib_end", broker.ResidentKiBEnd);
                Number(json, "rss_kib_per_connection", broker.ResidentKiBPerConnection, 3);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("broker");
            }
            json.WriteStartObject("generator");
            Number(json, "cpu_s", report.GeneratorCpuSeconds, 3);
            Number(json, "cpu_us_per_msg", report.GeneratorCpuMicrosecondsPerMessage, 2);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public static void WriteText(BenchReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        if (report.Connections is int connections)
        {
            text.AppendLine(c, $"{report.Scenario}: {connections} connections, {report.ConnectsPerSecond:0.0} connects/s, {report.ConnectFailures} failed, {report.DurationSeconds:0.###} s measured");
            if (report.Latency is LatencySummary latency)
            {
                text.AppendLine(c, $"connect time: p50 {latency.P50:0.0} us, p99 {latency.P99:0.0} us, max {latency.Max:0.0} us");
            }
        }
        else
        {
            string load = report.Mode == "open" ? $"open loop, {report.OfferedRate:0.#}/s per publisher" : $"closed loop, {report.Outstanding} outstanding per publisher";
            text.AppendLine(c, $"{report.Scenario}: QoS {report.QoS}, {report.PayloadBytes} B, {report.Publishers} publishers, {report.Subscribers} subscribers, {load}, {report.DurationSeconds:0.###} s measured");
            double sentPerSecond = report.DurationSeconds > 0 ? report.Sent.GetValueOrDefault() / report.DurationSeconds : 0;
            text.AppendLine(c, $"sent {report.Sent} ({sentPerSecond:0.0}/s), delivered {report.Delivered} of {report.Expected} ({report.DeliveredPerSecond:0.0}/s), lost {report.Lost}, duplicates {report.Duplicates}");
            text.AppendLine(report.Latency is LatencySummary latency
                ? string.Create(c, $"latency: p50 {latency.P50:0.0} us, p99 {latency.P99:0.0} us, max {latency.Max:0.0} us")
                : "latency: no message counted");
        }
        if (report.Broker is BrokerFigures broker)
        {
            text.Append(c, $"broker pid {broker.Pid}: cpu {broker.CpuSeconds:0.000} s");
            if (broker.CpuMicrosecondsPerMessage is double perMessage)
            {
                text.Append(c, $", {perMessage:0.00} us/msg");
            }
            if (broker.CpuMicrosecondsPerConnect is double perConnect)
            {
                text.Append(c, $", {perConnect:0.00} us/connect");
            }
            text.Append(c, $", rss {broker.ResidentKiBStart} -> {broker.ResidentKiBEnd} KiB");
            if (broker.ResidentKiBPerConnection is double perConnection)
            {
                text.Append(c, $" ({perConnection:0.000} KiB/connection)");
            }
            text.AppendLine();
        }
        text.Append(c, $"generator: cpu {report.GeneratorCpuSeconds:0.000} s");
        if (report.GeneratorCpuMicrosecondsPerMessage is double generatorPerMessage)
        {
            text.Append(c, $", {generatorPerMessage:0.00} us/msg");
        }
        text.AppendLine();
        output.Write(text.ToString());
    }

    private static void Number(Utf8JsonWriter json, string name, long? value)
    {
        if (value is long v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, double? value, int decimals)
    {
        if (value is double v && double.IsFinite(v))
        {
            json.WriteNumber(name, Math.Round(v, decimals));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
