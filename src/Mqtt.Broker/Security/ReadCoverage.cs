namespace Mqtt.Broker;

/// <summary>A rule with its templates filled in for one client: first match decides, allow or deny.</summary>
internal readonly record struct ConcreteRule(PatternLevel[] Levels, bool Allow);

/// <summary>
/// Decides whether every topic a subscription filter can match is readable under first-match rules, so a
/// wildcard can never reach a topic a rule denies (docs/security.md, "Wildcards").
/// </summary>
/// <remarks>
/// Topic levels come from an infinite alphabet, but at each level only the literals named by the filter or by a
/// rule still in play matter; every other name behaves alike and is tried once as "other". The walk follows the
/// filter level by level with the set of rules still matching the prefix. If the first of them (in rule order)
/// is at a <c>#</c>, it decides every continuation at once. Rules without <c>#</c> die after their last level, so
/// the walk ends. A bounded budget answers "no" on pathological rule sets rather than spending unbounded time.
/// </remarks>
internal static class ReadCoverage
{
    private const int Budget = 20_000;
    private const string Other = "\0other";

    public static bool AllReadable(PatternLevel[] filter, ConcreteRule[] rules)
    {
        var alive = new List<(int Rule, int Position)>(rules.Length);
        for (int i = 0; i < rules.Length; i++)
        {
            alive.Add((i, 0));
        }

        int budget = Budget;
        return Walk(filter, 0, rules, alive, 0, ref budget);
    }

    private static bool Walk(PatternLevel[] filter, int fpos, ConcreteRule[] rules, List<(int Rule, int Position)> alive, int depth, ref int budget)
    {
        if (--budget < 0)
        {
            return false;
        }

        if (depth > 0 && alive.Count > 0)
        {
            (int first, int firstPos) = alive[0];
            PatternLevel[] levels = rules[first].Levels;
            if (firstPos < levels.Length && levels[firstPos].Kind == LevelKind.Hash)
            {
                return rules[first].Allow;
            }
        }

        bool filterAtHash = fpos < filter.Length && filter[fpos].Kind == LevelKind.Hash;
        if (depth > 0 && (fpos == filter.Length || filterAtHash))
        {
            // The topic may end here: the first rule that matches a topic ending here decides.
            bool? decision = null;
            foreach ((int rule, int position) in alive)
            {
                PatternLevel[] levels = rules[rule].Levels;
                if (position == levels.Length || levels[position].Kind == LevelKind.Hash)
                {
                    decision = rules[rule].Allow;
                    break;
                }
            }

            if (decision != true)
            {
                return false;
            }
        }

        if (fpos == filter.Length)
        {
            return true;
        }

        PatternLevel f = filter[fpos];
        int nextF = f.Kind == LevelKind.Hash ? fpos : fpos + 1;
        if (f.Kind == LevelKind.Literal)
        {
            return Walk(filter, nextF, rules, Advance(rules, alive, f.Text, depth), depth + 1, ref budget);
        }

        // A wildcard level: try each literal a live rule names here, then any other name.
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach ((int rule, int position) in alive)
        {
            PatternLevel[] levels = rules[rule].Levels;
            if (position < levels.Length && levels[position].Kind == LevelKind.Literal)
            {
                string name = levels[position].Text;
                // [MQTT-4.7.2-1] a filter's first-level wildcard never matches a $ topic.
                if ((depth == 0 && name.StartsWith('$')) || !tried.Add(name))
                {
                    continue;
                }

                if (!Walk(filter, nextF, rules, Advance(rules, alive, name, depth), depth + 1, ref budget))
                {
                    return false;
                }
            }
        }

        return Walk(filter, nextF, rules, Advance(rules, alive, Other, depth), depth + 1, ref budget);
    }

    /// <summary>The rules still matching after one more level named <paramref name="name"/>, in rule order.</summary>
    private static List<(int Rule, int Position)> Advance(ConcreteRule[] rules, List<(int Rule, int Position)> alive, string name, int depth)
    {
        var next = new List<(int Rule, int Position)>(alive.Count);
        bool dollar = depth == 0 && name.StartsWith('$');
        foreach ((int rule, int position) in alive)
        {
            PatternLevel[] levels = rules[rule].Levels;
            if (position == levels.Length)
            {
                continue;
            }

            PatternLevel level = levels[position];
            switch (level.Kind)
            {
                case LevelKind.Hash when !dollar:
                    next.Add((rule, position));
                    break;
                case LevelKind.Plus when !dollar:
                    next.Add((rule, position + 1));
                    break;
                case LevelKind.Literal when !ReferenceEquals(name, Other) && string.Equals(level.Text, name, StringComparison.Ordinal):
                    next.Add((rule, position + 1));
                    break;
            }
        }

        return next;
    }
}
