using System.Reflection;
using System.Text.RegularExpressions;

namespace Mqtt.Codec.Tests;

/// <summary>Keeps docs/conformance-codec.md honest: it names only tests that exist, and every statement test is in it.</summary>
public partial class ConformanceCoverageTests
{
    [Fact]
    public void Conformance_document_and_statement_tests_agree()
    {
        string text = File.ReadAllText(FindDocument());
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in TestReference().Matches(text))
        {
            named.Add(m.Groups[1].Value);
        }

        var existing = new HashSet<string>(StringComparer.Ordinal);
        foreach (Type type in typeof(ConformanceCoverageTests).Assembly.GetTypes())
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FactAttribute>() is not null)
                {
                    existing.Add($"{type.Name}.{method.Name}");
                }
            }
        }

        foreach (string name in named)
        {
            Assert.True(existing.Contains(name), $"docs/conformance-codec.md names {name}, which is not a test");
        }
        foreach (string name in existing)
        {
            if (name.Split('.')[1].StartsWith("MQTT", StringComparison.Ordinal))
            {
                Assert.True(named.Contains(name), $"{name} is a statement test missing from docs/conformance-codec.md");
            }
        }
        // One table row per codec statement: 49 of MQTT 5.0, 43 of MQTT 3.1.1.
        Assert.Equal(92, StatementRow().Matches(text).Count);
    }

    private static string FindDocument()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "docs", "conformance-codec.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("docs/conformance-codec.md not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"`(\w+\.MQTT\w+)`")]
    private static partial Regex TestReference();

    [GeneratedRegex(@"^\| MQTT-[0-9.]+-\d+ \|", RegexOptions.Multiline)]
    private static partial Regex StatementRow();
}
