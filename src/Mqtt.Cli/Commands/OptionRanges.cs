using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Mqtt.Cli.Commands;

/// <summary>Checks on option values made while parsing: a bad value is a usage error (exit 1) that names the option.</summary>
internal static class OptionRanges
{
    /// <summary>Refuses values of <paramref name="option"/> outside <paramref name="min"/>..<paramref name="max"/> (and NaN).</summary>
    public static Option<T> Within<T>(this Option<T> option, double min, double max, string? note = null)
    {
        option.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
            {
                // A value that is not a number at all is reported by the parser itself.
                if (double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && !(value >= min && value <= max))
                {
                    result.AddError($"{option.Name} must be {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}{note}, not {token.Value}");
                }
            }
        });
        return option;
    }

    /// <summary>A repeatable option given without a value (`--listen A --listen`) is an error, not ignored.</summary>
    public static Option<string[]> ValueEachTime(this Option<string[]> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count < result.IdentifierTokenCount)
            {
                result.AddError($"{option.Name} needs a value each time it is given");
            }
        });
        return option;
    }
}
