using System.Text;

namespace Mqtt.Broker;

/// <summary>What one level of an ACL topic or a subscription filter is.</summary>
internal enum LevelKind : byte
{
    /// <summary>Matches exactly <see cref="PatternLevel.Text"/>.</summary>
    Literal,

    /// <summary><c>+</c>: any one level.</summary>
    Plus,

    /// <summary><c>#</c>: any number of levels, including none (last level only).</summary>
    Hash,

    /// <summary>A level with <c>%u</c> or <c>%c</c>, a literal once the client is known.</summary>
    Template,
}

/// <summary>One level of a topic pattern.</summary>
internal readonly record struct PatternLevel(LevelKind Kind, string Text);

/// <summary>Topic patterns of ACL rules and subscription filters, split into levels, and matching against topic names.</summary>
internal static class TopicPattern
{
    /// <summary>Splits a filter or ACL topic; null when <c>+</c>/<c>#</c> are misplaced or it is empty.</summary>
    public static PatternLevel[]? Parse(string text, bool templates)
    {
        if (text.Length == 0)
        {
            return null;
        }

        string[] parts = text.Split('/');
        var levels = new PatternLevel[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            if (part == "+")
            {
                levels[i] = new PatternLevel(LevelKind.Plus, part);
            }
            else if (part == "#")
            {
                if (i != parts.Length - 1)
                {
                    return null;
                }

                levels[i] = new PatternLevel(LevelKind.Hash, part);
            }
            else if (part.Contains('+') || part.Contains('#'))
            {
                return null;
            }
            else if (templates && (part.Contains("%u", StringComparison.Ordinal) || part.Contains("%c", StringComparison.Ordinal)))
            {
                levels[i] = new PatternLevel(LevelKind.Template, part);
            }
            else
            {
                levels[i] = new PatternLevel(LevelKind.Literal, part);
            }
        }

        return levels;
    }

    /// <summary>
    /// Fills in <c>%u</c> and <c>%c</c>. Null when the rule cannot apply: anonymous client for <c>%u</c>, or a value
    /// that is empty or holds <c>/</c>, <c>+</c> or <c>#</c> (CVE-2017-7650: a client id <c>#</c> must not turn
    /// <c>%c/#</c> into <c>#/#</c>). Substituted levels are literals, never wildcards, in any case.
    /// </summary>
    public static PatternLevel[]? Instantiate(PatternLevel[] levels, string? user, string clientId)
    {
        PatternLevel[]? result = null;
        for (int i = 0; i < levels.Length; i++)
        {
            if (levels[i].Kind != LevelKind.Template)
            {
                continue;
            }

            string? text = Substitute(levels[i].Text, user, clientId);
            if (text is null)
            {
                return null;
            }

            result ??= (PatternLevel[])levels.Clone();
            result[i] = new PatternLevel(LevelKind.Literal, text);
        }

        return result ?? levels;
    }

    /// <summary>
    /// One left-to-right pass over the template: inserted text is never searched again, so a user named <c>%c</c>
    /// stays the literal <c>%c</c> instead of turning into the client id (CVE-2017-7650 class).
    /// </summary>
    private static string? Substitute(string template, string? user, string clientId)
    {
        var text = new StringBuilder(template.Length + 32);
        int copied = 0;
        for (int i = 0; i + 1 < template.Length; i++)
        {
            if (template[i] != '%' || template[i + 1] is not ('u' or 'c'))
            {
                continue;
            }

            string? value = template[i + 1] == 'u' ? user : clientId;
            if (!IsSafeValue(value))
            {
                return null;
            }

            text.Append(template, copied, i - copied).Append(value);
            copied = i + 2;
            i++;
        }

        return text.Append(template, copied, template.Length - copied).ToString();
    }

    /// <summary>
    /// Can some topic name match both patterns? Used to grant a wildcard subscription that reaches at least one
    /// readable topic; it may say yes for a topic that a first-level wildcard skips ('$'), which only grants a
    /// subscription whose deliveries are all checked anyway.
    /// </summary>
    public static bool Overlaps(PatternLevel[] a, PatternLevel[] b)
    {
        for (int i = 0; ; i++)
        {
            if (i == a.Length || i == b.Length)
            {
                return (i == a.Length && i == b.Length)
                    || (i < a.Length && a[i].Kind == LevelKind.Hash)
                    || (i < b.Length && b[i].Kind == LevelKind.Hash);
            }
            if (a[i].Kind == LevelKind.Hash || b[i].Kind == LevelKind.Hash)
            {
                return true;
            }
            if (a[i].Kind == LevelKind.Literal && b[i].Kind == LevelKind.Literal && a[i].Text != b[i].Text)
            {
                return false;
            }
        }
    }

    /// <summary>Does the pattern (no templates left) match the topic name? Wildcards at the first level skip <c>$</c> topics [MQTT-4.7.2-1].</summary>
    public static bool Matches(PatternLevel[] levels, string topic)
    {
        int position = 0;
        for (int i = 0; i < levels.Length; i++)
        {
            PatternLevel level = levels[i];
            bool exhausted = position == topic.Length + 1;
            if (level.Kind == LevelKind.Hash)
            {
                return !(i == 0 && topic.StartsWith('$'));
            }

            if (exhausted)
            {
                return false;
            }

            int end = topic.IndexOf('/', position);
            if (end < 0)
            {
                end = topic.Length;
            }

            ReadOnlySpan<char> name = topic.AsSpan(position, end - position);
            if (level.Kind == LevelKind.Plus)
            {
                if (i == 0 && name.StartsWith("$"))
                {
                    return false;
                }
            }
            else if (!name.SequenceEqual(level.Text))
            {
                return false;
            }

            position = end + 1;
        }

        return position == topic.Length + 1;
    }

    /// <summary>
    /// Filled in, a value must stay one ordinary level: no wildcard, no level separator, and no leading <c>$</c> that
    /// would put the rule in the broker's topics (a client id <c>$SYS</c> turning <c>%c/#</c> into <c>$SYS/#</c>).
    /// </summary>
    private static bool IsSafeValue(string? value) =>
        !string.IsNullOrEmpty(value) && value[0] != '$' && value.AsSpan().IndexOfAny('/', '+', '#') < 0;
}
