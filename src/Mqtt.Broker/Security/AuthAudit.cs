using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Mqtt.Broker;

/// <summary>
/// One audit line per authentication or registration outcome (SECURITY.md section 3): what, the outcome, user,
/// address, client id, method and a short reason. Never a password, proof, verifier or nonce. Names come from
/// the network, so control characters are escaped and length is capped to keep each event on one line.
/// </summary>
internal static class AuthAudit
{
    /// <summary>The action of a login's audit lines.</summary>
    internal const string LoginAction = "login";

    /// <summary>The action of a registration's audit lines.</summary>
    internal const string RegisterAction = "register";

    public static void Write(ILogger logger, string action, bool success, string? user, ClientInfo client, string method, string reason)
    {
        LogLevel level = success ? LogLevel.Information : LogLevel.Warning;
        if (!logger.IsEnabled(level))
        {
            return; // escaping the names and formatting the address are wasted when the level is off
        }

        logger.Log(
            level,
            "audit {Action} {Outcome}: user={User} remote={Remote} client={Client} method={Method} reason={Reason}",
            action,
            success ? "success" : "failure",
            Safe(user),
            client.RemoteEndPoint?.ToString() ?? "-",
            Safe(client.ClientId),
            method,
            reason);
    }

    /// <summary>
    /// Printable form of peer-supplied text for any log line: control, format (bidi, zero width) and line or
    /// paragraph separator characters as \uXXXX, so the text can neither start a forged line nor reorder one;
    /// at most 80 characters.
    /// </summary>
    public static string Safe(string? text)
    {
        if (text is null)
        {
            return "-";
        }

        var safe = new StringBuilder(Math.Min(text.Length, 80) + 2);
        safe.Append('"');
        foreach (char c in text)
        {
            if (safe.Length >= 80)
            {
                safe.Append('…');
                break;
            }

            if (char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate || c == '"' || c == '\\')
            {
                safe.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                safe.Append(c);
            }
        }

        return safe.Append('"').ToString();
    }
}
