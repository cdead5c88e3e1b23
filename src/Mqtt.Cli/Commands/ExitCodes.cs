namespace Mqtt.Cli.Commands;

/// <summary>The exit codes every command shares (CLI.md).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 1;
    public const int Refused = 2;
    public const int Timeout = 3;
    public const int EndToEndFailure = 4;
    public const int Unreachable = 5;
}
