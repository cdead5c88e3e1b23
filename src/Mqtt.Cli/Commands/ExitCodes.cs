namespace Mqtt.Cli.Commands;

/// <summary>The exit codes of CLI.md, shared by every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 1;
    public const int Refused = 2;
    public const int Timeout = 3;
    public const int EndToEndCheckFailed = 4;
    public const int Unreachable = 5;
}
