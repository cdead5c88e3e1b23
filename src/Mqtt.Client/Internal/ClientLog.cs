using System.Text;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>Log lines that need some formatting, kept off the call sites.</summary>
internal static class ClientLog
{
    public static void LogSubscribe(this ILogger logger, IReadOnlyList<MqttTopicFilter> filters, IReadOnlyList<ReasonCode> codes)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }
        var text = new StringBuilder();
        for (int i = 0; i < filters.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(filters[i].Filter).Append(": ")
                .Append(i < codes.Count ? MqttReasonCodeText.Format(codes[i]) : "no reason code");
        }
        logger.LogDebug("SUBACK {Codes}", text.ToString());
    }
}
