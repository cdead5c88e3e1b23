namespace Mqtt.Broker.Tests;

/// <summary>ACL pattern templates: <c>%u</c> and <c>%c</c> are filled in once, and what is filled in stays literal text.</summary>
public sealed class TopicPatternTests
{
    [Theory]
    [InlineData("%u/pubKey", "%c", "alice", "%c/pubKey", "alice/pubKey")]
    [InlineData("+/%u/messages", "%c", "bob", "x/%c/messages", "x/bob/messages")]
    [InlineData("%c/%u", "bob", "%u", "%u/bob", "bob/bob")]
    [InlineData("%u-%c", "%c", "dev", "%c-dev", "dev-dev")]
    public void Substituted_text_is_never_searched_for_another_template_CVE_2017_7650(
        string template, string user, string clientId, string granted, string notGranted)
    {
        PatternLevel[] levels = TopicPattern.Instantiate(TopicPattern.Parse(template, templates: true)!, user, clientId)!;

        Assert.True(TopicPattern.Matches(levels, granted));
        Assert.False(TopicPattern.Matches(levels, notGranted));
    }

    [Theory]
    [InlineData("%u/x", null, "c1")]
    [InlineData("%c/#", "u", "#")]
    [InlineData("a/%c", "u", "b/c")]
    public void A_template_whose_value_is_missing_or_holds_a_separator_or_wildcard_does_not_apply(string template, string? user, string clientId)
    {
        Assert.Null(TopicPattern.Instantiate(TopicPattern.Parse(template, templates: true)!, user, clientId));
    }
}
