using System.CommandLine;
using Mqtt.Client;

namespace Mqtt.Cli.Commands;

/// <summary>
/// `mqttcore register -u NAME -P PW [client options]`: registers NAME on the broker without sending the password
/// (SECURITY.md section 2): the SCRAM verifiers are derived here and sent with method MQTTCORE-REGISTER.
/// Exit 0 on success, 2 if refused (name taken or invalid: 0x86, registration closed: 0x87), as CLI.md says.
/// </summary>
public static class RegisterCommand
{
    public static Command Create()
    {
        var common = new ClientOptionSet();
        var command = new Command("register", "Register a user on the broker without sending the password (SCRAM verifiers only)");
        common.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken cancellationToken) =>
        {
            TextWriter error = r.InvocationConfiguration.Error;
            MqttClientOptions? options = common.BuildRegistration(r, error);
            if (options is null)
            {
                return ExitCodes.Usage;
            }
            try
            {
                await using var client = new MqttClient(options);
                await client.ConnectAsync(cancellationToken);
                await client.DisconnectAsync(cancellationToken: cancellationToken);
                r.InvocationConfiguration.Output.WriteLine($"registered {options.UserName}");
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is MqttException or ArgumentException)
            {
                return ClientOptionSet.Fail(e, error);
            }
        });
        return command;
    }
}
