using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Mqtt.Security.Scram;

/// <summary>The RFC 5802 <c>saslname</c> encoding: <c>,</c> travels as <c>=2C</c> and <c>=</c> as <c>=3D</c>.</summary>
internal static class SaslName
{
    public static string Escape(string name)
    {
        // '=' first, or the '=' introduced by "=2C" would be escaped again.
        return name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
    }

    /// <summary>
    /// Decodes a saslname. Fails when it is empty, contains NUL or ',' or has an '=' not followed by
    /// "2C" or "3D" (RFC 5802 section 5.1: the server MUST fail such names).
    /// </summary>
    public static bool TryUnescape(ReadOnlySpan<char> saslName, [NotNullWhen(true)] out string? name)
    {
        name = null;
        if (saslName.Length == 0 || saslName.ContainsAny('\0', ','))
        {
            return false;
        }

        int equals = saslName.IndexOf('=');
        if (equals < 0)
        {
            name = saslName.ToString();
            return true;
        }

        var builder = new StringBuilder(saslName.Length);
        while (equals >= 0)
        {
            builder.Append(saslName[..equals]);
            ReadOnlySpan<char> escape = saslName[equals..];
            if (escape.StartsWith("=2C", StringComparison.Ordinal))
            {
                builder.Append(',');
            }
            else if (escape.StartsWith("=3D", StringComparison.Ordinal))
            {
                builder.Append('=');
            }
            else
            {
                return false;
            }

            saslName = saslName[(equals + 3)..];
            equals = saslName.IndexOf('=');
        }

        builder.Append(saslName);
        name = builder.ToString();
        return true;
    }
}
