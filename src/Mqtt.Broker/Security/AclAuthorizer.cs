using System.Globalization;
using System.Runtime.CompilerServices;

namespace Mqtt.Broker;

/// <summary>
/// The ACL engine (SECURITY.md section 4, docs/security.md). Rules come from a Mosquitto-style file or, without
/// one, from <see cref="DefaultRules"/>. For a client the rules are its user's <c>topic</c> lines (anonymous
/// clients: the <c>topic</c> lines before any <c>user</c> line), then every <c>pattern</c> line with <c>%u</c> and
/// <c>%c</c> filled in; the first rule that matches the topic and covers the access (or is <c>deny</c>) decides,
/// and no match denies. Nobody publishes to <c>$</c> topics. An exact subscription is granted if its topic is
/// readable, a wildcard one if it can reach some readable topic; each delivery is checked again.
/// </summary>
public sealed class AclAuthorizer : IAuthorizer
{
    /// <summary>The rules used when no ACL file is given: the key directory and mailboxes of SECURITY.md section 4.</summary>
    public const string DefaultRules = """
        # U/pubKey: only U publishes it, every client reads it.
        # A/B/messages: only A publishes, only A and B read.
        # Everything else: read and write for all; $SYS read-only.
        pattern read %u/+/messages
        pattern read +/%u/messages
        pattern write %u/+/messages
        pattern write %u/pubKey
        pattern read +/pubKey
        pattern deny +/+/messages
        pattern deny +/pubKey
        pattern read $SYS/#
        pattern readwrite #
        """;

    private readonly List<AclRule> _anonymous;
    private readonly Dictionary<string, List<AclRule>> _users;
    private readonly List<AclRule> _patterns;
    private readonly ConditionalWeakTable<ClientInfo, ClientRules> _compiled = [];

    private AclAuthorizer(List<AclRule> anonymous, Dictionary<string, List<AclRule>> users, List<AclRule> patterns)
    {
        _anonymous = anonymous;
        _users = users;
        _patterns = patterns;
    }

    [Flags]
    private enum Access
    {
        Deny = 0,
        Read = 1,
        Write = 2,
        ReadWrite = Read | Write,
    }

    /// <summary>The authorizer with <see cref="DefaultRules"/>.</summary>
    /// <returns>The authorizer.</returns>
    public static AclAuthorizer CreateDefault() => Parse(DefaultRules);

    /// <summary>Reads an ACL file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The authorizer.</returns>
    /// <exception cref="FormatException">A line is malformed; the message names it.</exception>
    public static AclAuthorizer Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses ACL text: <c>user NAME</c>, <c>topic [read|write|readwrite|deny] TOPIC</c>, <c>pattern [...] TOPIC</c>, <c>#</c> comments.</summary>
    /// <param name="text">The rules.</param>
    /// <returns>The authorizer.</returns>
    /// <exception cref="FormatException">A line is malformed; the message names it.</exception>
    public static AclAuthorizer Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var anonymous = new List<AclRule>();
        var users = new Dictionary<string, List<AclRule>>(StringComparer.Ordinal);
        var patterns = new List<AclRule>();
        List<AclRule> current = anonymous;
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string keyword = FirstWord(line, out string rest);
            switch (keyword)
            {
                case "user":
                    if (!Mqtt.Security.UserName.IsValid(rest))
                    {
                        throw Error(n, "user needs a valid user name");
                    }

                    if (!users.TryGetValue(rest, out List<AclRule>? rules))
                    {
                        users[rest] = rules = [];
                    }

                    current = rules;
                    break;
                case "topic":
                case "pattern":
                    bool isPattern = keyword == "pattern";
                    Access access = Access.ReadWrite;
                    string word = FirstWord(rest, out string afterAccess);
                    switch (afterAccess.Length == 0 ? "" : word)
                    {
                        case "read": access = Access.Read; rest = afterAccess; break;
                        case "write": access = Access.Write; rest = afterAccess; break;
                        case "readwrite": access = Access.ReadWrite; rest = afterAccess; break;
                        case "deny": access = Access.Deny; rest = afterAccess; break;
                    }

                    PatternLevel[] levels = TopicPattern.Parse(rest, templates: isPattern)
                        ?? throw Error(n, "the topic is empty or has a misplaced + or #");
                    (isPattern ? patterns : current).Add(new AclRule(access, levels));
                    break;
                default:
                    throw Error(n, $"unknown keyword '{keyword}' (expected user, topic or pattern)");
            }
        }

        return new AclAuthorizer(anonymous, users, patterns);
    }

    /// <inheritdoc/>
    public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic)
    {
        // $SYS and every other $ topic belong to the broker.
        return new(!topic.StartsWith('$') && Decide(RulesFor(client).Write, topic));
    }

    /// <inheritdoc/>
    public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter)
    {
        // A Shared Subscription is checked for its topic filter.
        SharedFilter.TryParse(filter, out _, out filter);

        PatternLevel[]? levels = TopicPattern.Parse(filter, templates: false);
        if (levels is null)
        {
            return new(false);
        }
        ConcreteRule[] read = RulesFor(client).Read;
        if (Array.TrueForAll(levels, static l => l.Kind == LevelKind.Literal))
        {
            return new(Decide(read, filter));
        }
        // Mosquitto's way: a wildcard filter is granted when it reaches some readable topic; CanReceive then
        // checks every delivery, so it never carries a message the client may not read.
        foreach (ConcreteRule rule in read)
        {
            if (rule.Allow && TopicPattern.Overlaps(rule.Levels, levels))
            {
                return new(true);
            }
        }
        return new(false);
    }

    /// <inheritdoc/>
    public bool CanReceive(ClientInfo client, string topic) => Decide(RulesFor(client).Read, topic);

    private static bool Decide(ConcreteRule[] rules, string topic)
    {
        foreach (ConcreteRule rule in rules)
        {
            if (TopicPattern.Matches(rule.Levels, topic))
            {
                return rule.Allow;
            }
        }

        return false;
    }

    private ClientRules RulesFor(ClientInfo client) => _compiled.GetValue(client, Compile);

    private ClientRules Compile(ClientInfo client)
    {
        var read = new List<ConcreteRule>();
        var write = new List<ConcreteRule>();
        List<AclRule> own = client.UserName is null ? _anonymous : _users.GetValueOrDefault(client.UserName) ?? [];
        foreach (AclRule rule in own)
        {
            Add(rule, rule.Levels);
        }

        foreach (AclRule rule in _patterns)
        {
            if (TopicPattern.Instantiate(rule.Levels, client.UserName, client.ClientId) is PatternLevel[] levels)
            {
                Add(rule, levels);
            }
        }

        return new ClientRules([.. read], [.. write]);

        void Add(AclRule rule, PatternLevel[] levels)
        {
            if (rule.Access == Access.Deny || rule.Access.HasFlag(Access.Read))
            {
                read.Add(new ConcreteRule(levels, rule.Access != Access.Deny));
            }

            if (rule.Access == Access.Deny || rule.Access.HasFlag(Access.Write))
            {
                write.Add(new ConcreteRule(levels, rule.Access != Access.Deny));
            }
        }
    }

    private static string FirstWord(string text, out string rest)
    {
        int space = text.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            rest = "";
            return text;
        }

        rest = text[(space + 1)..].Trim();
        return text[..space];
    }

    private static FormatException Error(int line, string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"ACL line {line + 1}: {message}"));

    private sealed record AclRule(Access Access, PatternLevel[] Levels);

    private sealed record ClientRules(ConcreteRule[] Read, ConcreteRule[] Write);
}
