using System.CommandLine;
using System.Text;
using Mqtt.Broker;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Cli.Commands;

/// <summary>
/// `mqttcore user add|remove|list|passwd`: offline administration of the credential file (CLI.md). Safe while a
/// broker runs on the same data folder: changes take the file lock and the broker reloads them, disconnecting
/// removed users. Exit codes: 0 done, 1 bad usage or unusable data folder, 2 refused (name taken, no such user).
/// </summary>
internal static class UserCommand
{
    private static readonly Option<string> Data = new("--data") { Description = "data folder (credentials)", DefaultValueFactory = _ => "./mqttcore-data" };
    private static readonly Option<string?> Password = new("--password", "-P") { Description = "the password (also env MQTTCORE_PASSWORD, or --password-stdin)" };
    private static readonly Option<bool> PasswordStdin = new("--password-stdin") { Description = "read the password from the first line of standard input" };
    private const int MaximumIterations = 1_000_000;
    private static readonly Option<int> Iterations = new("--iterations") { Description = "PBKDF2 iterations of the SCRAM verifiers", DefaultValueFactory = _ => ScramVerifier.DefaultIterationCount };

    public static Command Create()
    {
        var user = new Command("user", "Administer the broker's users (credential file in the data folder).");
        user.Subcommands.Add(WithPassword(new Command("add", "Add a user with SCRAM-SHA-256 and SCRAM-SHA-512 verifiers (never the password)."), newUser: true, AddAsync));
        user.Subcommands.Add(WithPassword(new Command("passwd", "Set a new password for an existing user."), newUser: false, PasswdAsync));
        var remove = new Command("remove", "Remove a user; a running broker disconnects them and drops their sessions.");
        remove.Arguments.Add(NameArgument());
        remove.Options.Add(Data);
        remove.SetAction((result, cancellationToken) => RemoveAsync(result, cancellationToken));
        user.Subcommands.Add(remove);
        var list = new Command("list", "Print the user names, one per line.");
        list.Options.Add(Data);
        list.SetAction((result, _) => Task.FromResult(List(result)));
        user.Subcommands.Add(list);
        return user;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "the user name" };

    private static Command WithPassword(Command command, bool newUser, Func<ParseResult, string, string, CancellationToken, Task<int>> run)
    {
        command.Arguments.Add(NameArgument());
        foreach (Option option in new Option[] { Password, PasswordStdin, Data, Iterations })
        {
            command.Options.Add(option);
        }

        command.AddCheck(r =>
        {
            // A new name has the stricter rule; an existing one that predates it must stay manageable.
            string? name = r.GetValue<string>("NAME");
            if (name is not null && !(newUser ? Mqtt.Security.UserName.IsValidForNewUser(name) : Mqtt.Security.UserName.IsValid(name)))
            {
                r.AddError("invalid user name (1 to 64 characters; no / + # %, control or invisible characters; no white space at either end; not starting with $)");
            }
            // Only a count given: the default is not applied yet while the command line is checked.
            if (r.GetResult(Iterations) is { Implicit: false } given && given.GetValueOrDefault<int>() is < ScramVerifier.MinimumIterationCount or > MaximumIterations)
            {
                // Not more than a SCRAM client accepts by default (ours: 1,000,000), or the user could never log in.
                r.AddError($"--iterations must be {ScramVerifier.MinimumIterationCount}..{MaximumIterations}");
            }
            if (r.GetValue(Password) is not null && r.GetValue(PasswordStdin))
            {
                r.AddError("give the password with -P or --password-stdin, not both");
            }
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            string name = result.GetValue<string>("NAME")!;
            string? password = ReadPassword(result);
            if (string.IsNullOrEmpty(password))
            {
                await Console.Error.WriteLineAsync($"mqttcore user {command.Name}: no password: give -P, --password-stdin or MQTTCORE_PASSWORD");
                return ExitCodes.Usage;
            }

            if (DecodedText.LostBytes(password))
            {
                await Console.Error.WriteLineAsync($"mqttcore user {command.Name}: the password is not valid UTF-8 (or holds U+FFFD)");
                return ExitCodes.Usage;
            }

            return await run(result, name, password, cancellationToken);
        });
        return command;
    }

    private static async Task<int> AddAsync(ParseResult result, string name, string password, CancellationToken cancellationToken)
    {
        UserCredentials credentials = UserCredentials.Derive(name, password, result.GetValue(Iterations));
        return await WithStoreAsync(result, "add", createFolder: true, async store =>
        {
            if (!await store.TryAddAsync(credentials, cancellationToken))
            {
                await Console.Error.WriteLineAsync($"refused: user '{name}' exists (or one differing only in case or fullwidth forms)");
                return ExitCodes.Refused;
            }

            return ExitCodes.Success;
        });
    }

    private static async Task<int> PasswdAsync(ParseResult result, string name, string password, CancellationToken cancellationToken)
    {
        UserCredentials credentials = UserCredentials.Derive(name, password, result.GetValue(Iterations));
        return await WithStoreAsync(result, "passwd", createFolder: false, async store =>
        {
            if (!await store.TryReplaceAsync(credentials, cancellationToken))
            {
                await Console.Error.WriteLineAsync($"refused: no user '{name}'");
                return ExitCodes.Refused;
            }

            return ExitCodes.Success;
        });
    }

    private static async Task<int> RemoveAsync(ParseResult result, CancellationToken cancellationToken)
    {
        string name = result.GetValue<string>("NAME")!;
        return await WithStoreAsync(result, "remove", createFolder: false, async store =>
        {
            if (!await store.TryRemoveAsync(name, cancellationToken))
            {
                await Console.Error.WriteLineAsync($"refused: no user '{name}'");
                return ExitCodes.Refused;
            }

            return ExitCodes.Success;
        });
    }

    private static int List(ParseResult result)
    {
        return WithStoreAsync(result, "list", createFolder: false, store =>
        {
            if (store.Problem is string problem)
            {
                // Not an empty list: the users are there, unreadable.
                throw new InvalidDataException(problem);
            }
            var output = new StringBuilder();
            foreach (UserCredentials user in store.List())
            {
                output.Append(user.Name).Append('\n');
            }

            Console.Out.Write(output.ToString());
            Console.Out.Flush();
            return Task.FromResult(ExitCodes.Success);
        }).GetAwaiter().GetResult();
    }

    private static async Task<int> WithStoreAsync(ParseResult result, string verb, bool createFolder, Func<CredentialStore, Task<int>> action)
    {
        string data = result.GetValue(Data)!;
        if (File.Exists(data))
        {
            await Console.Error.WriteLineAsync($"mqttcore user {verb}: --data {data} is a file; it names the broker's data folder");
            return ExitCodes.Usage;
        }
        if (!createFolder && !Directory.Exists(data))
        {
            // Only `add` creates the folder: a mistyped --data must not pass for an empty user list.
            await Console.Error.WriteLineAsync($"mqttcore user {verb}: no data folder {data} (the broker's --data; `user add` creates it)");
            return ExitCodes.Usage;
        }
        try
        {
            // Warnings (a line of the file that is ignored) go to stderr, as docs/security.md promises.
            using var store = new CredentialStore(data, new StderrLogger(Console.Error, Microsoft.Extensions.Logging.LogLevel.Warning), watch: false);
            return await action(store);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"mqttcore user {verb}: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    private static string? ReadPassword(ParseResult result)
    {
        if (result.GetValue(Password) is string given)
        {
            return given;
        }

        if (result.GetValue(PasswordStdin))
        {
            return Console.In.ReadLine();
        }

        if (Environment.GetEnvironmentVariable("MQTTCORE_PASSWORD") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        if (Console.IsInputRedirected)
        {
            return null;
        }

        string first = Prompt("Password: ");
        string second = Prompt("Again: ");
        if (first != second)
        {
            Console.Error.WriteLine("the passwords differ");
            return null;
        }

        return first;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
